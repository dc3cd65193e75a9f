/// MetadataEdits: `label`/`annotate` arguments and the patch they make.
import SkiffCtl
import Testing

@Suite struct MetadataEditsTests {
    @Test func parsesAssignmentsAndRemovalsInOrder() throws {
        let edits = try MetadataEdits.parse(["app=web", "example.com/tier=fe", "old-", "empty="], for: .labels)
        #expect(edits == MetadataEdits(assignments: [("app", "web"), ("example.com/tier", "fe"), ("empty", "")],
                                       removals: ["old"]))
    }

    @Test func annotationValuesAreFreeText() throws {
        let edits = try MetadataEdits.parse(["note=hello, world = yes"], for: .annotations)
        #expect(edits.assignments.map(\.value) == ["hello, world = yes"])
    }

    static let refused: [([String], MetadataEdits.Target, String)] = [
        (["app=not valid"], .labels, "invalid label value: \"app=not valid\": "),
        (["-bad=x"], .labels, "invalid label spec: -bad=x: "),
        (["=x"], .annotations, "invalid annotation spec: =x: "),
        (["app=web", "app-"], .labels, "can not both modify and remove the label \"app\" in the same command"),
        ([], .labels, "at least one label update is required"),
    ]

    @Test(arguments: refused)
    func refusesBadEdits(arguments: [String], target: MetadataEdits.Target, message: String) {
        let error = #expect(throws: CtlError.self) { try MetadataEdits.parse(arguments, for: target) }
        #expect(error?.message.hasPrefix(message) == true, "\(error?.message ?? "")")
    }

    @Test func isEditTellsEditsFromNames() {
        #expect(MetadataEdits.isEdit("app=web"))
        #expect(MetadataEdits.isEdit("app-"))
        #expect(!MetadataEdits.isEdit("web"))
        #expect(!MetadataEdits.isEdit("pod/web"))
    }

    @Test func patchHoldsOnlyChanges() throws {
        let edits = try MetadataEdits.parse(["app=web", "tier=fe", "gone-", "never-"], for: .labels)
        let members = try edits.patchMembers(current: ["app": "web", "gone": "x"], overwrite: false)
        #expect(members == ["tier": .string("fe"), "gone": .null])
        #expect(MetadataEdits.patch(members, target: .labels)
                == .object(["metadata": .object(["labels": .object(["tier": .string("fe"), "gone": .null])])]))
    }

    @Test func changingAValueNeedsOverwrite() throws {
        let edits = try MetadataEdits.parse(["app=api"], for: .labels)
        #expect(throws: CtlError("'app' already has a value (web), and --overwrite is false")) {
            try edits.patchMembers(current: ["app": "web"], overwrite: false)
        }
        #expect(try edits.patchMembers(current: ["app": "web"], overwrite: true) == ["app": .string("api")])
    }

    @Test func nothingToChangeIsAnEmptyPatch() throws {
        let edits = try MetadataEdits.parse(["app=web"], for: .annotations)
        #expect(try edits.patchMembers(current: ["app": "web"], overwrite: false).isEmpty)
    }
}
