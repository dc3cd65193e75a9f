/// Table and TableLayout: rows of cells laid out in columns the way kubectl's tab writer lays
/// them out: each column as wide as its widest cell plus three spaces (at least six), the last
/// column unpadded (and no line ends in spaces). A layout remembers its widths, so the rows `get -w` prints later line up
/// with the table printed first (a wider cell widens its column from then on).
///
/// Concurrency: plain values. Must never: drop or truncate a cell.
public struct Table: Sendable, Equatable {
    public var header: [String]
    public var rows: [[String]]

    public init(header: [String], rows: [[String]]) {
        self.header = header
        self.rows = rows
    }
}

public struct TableLayout: Sendable, Equatable {
    static let padding = 3
    static let minimumWidth = 6

    public private(set) var widths: [Int] = []

    public init() {}

    /// The lines for `rows`, widening the remembered column widths to fit them first.
    public mutating func lines(for rows: [[String]]) -> [String] {
        for row in rows {
            for (column, cell) in row.enumerated() {
                let width = max(cell.count + Self.padding, Self.minimumWidth)
                if column < widths.count {
                    widths[column] = max(widths[column], width)
                } else {
                    widths.append(width)
                }
            }
        }
        return rows.map { row in
            var line = ""
            for (column, cell) in row.enumerated() {
                if column == row.count - 1 {
                    line += cell
                } else {
                    line += cell + String(repeating: " ", count: widths[column] - cell.count)
                }
            }
            // Empty trailing cells would leave padding at the end of the line.
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
    }

    /// A whole table laid out at once: the header (unless `headers` is false), then the rows.
    public static func render(_ table: Table, headers: Bool = true) -> [String] {
        var layout = TableLayout()
        return layout.lines(for: (headers ? [table.header] : []) + table.rows)
    }
}
