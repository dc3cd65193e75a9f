/// DescriptionWriter: the layout of `describe` output. Fields are `Key:  value` lines whose
/// values line up across a run of consecutive fields (at any depth, as kubectl's tab writer
/// aligns them); a section title (`Containers:`) ends the run. Depth is two spaces a level.
/// Several values for one key (labels) continue on the lines below, aligned with the first.
///
/// Concurrency: a plain value.
public struct DescriptionWriter: Sendable {
    enum Entry: Sendable {
        case field(level: Int, key: String, values: [String])
        case text(level: Int, String)
        case table(level: Int, [[String]])
    }

    private(set) var entries: [Entry] = []

    public init() {}

    /// `Key:  value`; an empty value prints as `<none>`.
    public mutating func field(_ key: String, _ value: String, level: Int = 0) {
        entries.append(.field(level: level, key: key, values: [value.isEmpty ? "<none>" : oneLine(value)]))
    }

    /// `Key:  first` then each further value on its own line, aligned; `<none>` when empty.
    public mutating func field(_ key: String, values: [String], level: Int = 0) {
        entries.append(.field(level: level, key: key, values: values.isEmpty ? ["<none>"] : values.map(oneLine)))
    }

    /// `Key:` alone, a section whose content follows one level deeper.
    public mutating func section(_ key: String, level: Int = 0) {
        entries.append(.text(level: level, key + ":"))
    }

    public mutating func text(_ text: String, level: Int = 0) {
        entries.append(.text(level: level, text))
    }

    /// Rows (the first one the header) in columns two spaces apart.
    public mutating func table(_ rows: [[String]], level: Int = 1) {
        entries.append(.table(level: level, rows))
    }

    public var lines: [String] {
        var lines: [String] = []
        var index = 0
        while index < entries.count {
            switch entries[index] {
            case .text(let level, let text):
                lines.append(indent(level) + text)
                index += 1
            case .table(let level, let rows):
                lines += tableLines(rows, indent: indent(level))
                index += 1
            case .field:
                var run: [(level: Int, key: String, values: [String])] = []
                while index < entries.count, case .field(let level, let key, let values) = entries[index] {
                    run.append((level, key, values))
                    index += 1
                }
                let width = run.map { indent($0.level).count + $0.key.count + 1 }.max() ?? 0
                for field in run {
                    let head = indent(field.level) + field.key + ":"
                    let pad = String(repeating: " ", count: width - head.count + 2)
                    lines.append(head + pad + field.values[0])
                    for more in field.values.dropFirst() {
                        lines.append(String(repeating: " ", count: width + 2) + more)
                    }
                }
            }
        }
        return lines.map { line in
            var line = line
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
    }

    private func indent(_ level: Int) -> String { String(repeating: " ", count: level * 2) }

    private func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    private func tableLines(_ rows: [[String]], indent: String) -> [String] {
        var widths: [Int] = []
        for row in rows {
            for (column, cell) in row.enumerated() {
                if column < widths.count { widths[column] = max(widths[column], cell.count) } else { widths.append(cell.count) }
            }
        }
        return rows.map { row in
            var line = indent
            for (column, cell) in row.enumerated() {
                line += column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count + 2)
            }
            return line
        }
    }
}
