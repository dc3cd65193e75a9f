/// TableLayout: kubectl's column spacing, and widths remembered across watch rows.
import SkiffCtl
import Testing

@Suite struct TableTests {
    @Test func columnsAreWidestCellPlusThreeLastUnpadded() {
        let lines = TableLayout.render(Table(header: ["NAME", "STATUS", "AGE"],
                                             rows: [["default", "Active", "5d"], ["kube-system", "Active", "5d"]]))
        #expect(lines == [
            "NAME          STATUS   AGE",
            "default       Active   5d",
            "kube-system   Active   5d",
        ])
    }

    @Test func narrowColumnsAreSixWide() {
        #expect(TableLayout.render(Table(header: ["A", "B"], rows: [["x", "y"]])) == ["A     B", "x     y"])
    }

    @Test func withoutHeaders() {
        #expect(TableLayout.render(Table(header: ["NAME", "AGE"], rows: [["web", "5s"]]), headers: false) == ["web   5s"])
    }

    @Test func emptyTrailingCellsLeaveNoTrailingSpaces() {
        #expect(TableLayout.render(Table(header: ["NAME", "NODE", "AGE"], rows: [["web", "", ""]])) == ["NAME   NODE   AGE", "web"])
    }

    @Test func laterRowsKeepTheWidthsAndWidenThem() {
        var layout = TableLayout()
        #expect(layout.lines(for: [["NAME", "STATUS", "AGE"], ["web", "Pending", "0s"]]) == [
            "NAME   STATUS    AGE",
            "web    Pending   0s",
        ])
        #expect(layout.lines(for: [["web", "Running", "3s"]]) == ["web    Running   3s"])
        #expect(layout.lines(for: [["web-long-name", "Running", "3s"]]) == ["web-long-name   Running   3s"])
        #expect(layout.lines(for: [["web", "Running", "4s"]]) == ["web             Running   4s"])
    }
}
