/// CronSchedule: checks a CronJob schedule the way Kubernetes' cron parser reads it: five
/// fields (minute hour day-of-month month day-of-week) of values, ranges, steps and names,
/// or a descriptor such as "@hourly", optionally after "TZ=" or "CRON_TZ=".
///
/// Concurrency: pure functions. Must never: accept a schedule the CronJob controller's parser
/// would refuse; the error message is the parser's own.
enum CronSchedule {
    private struct Bounds {
        var minimum: Int
        var maximum: Int
        var names: [String: Int] = [:]
    }

    private static let fields: [Bounds] = [
        Bounds(minimum: 0, maximum: 59),
        Bounds(minimum: 0, maximum: 23),
        Bounds(minimum: 1, maximum: 31),
        Bounds(minimum: 1, maximum: 12, names: ["jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
                                                "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12]),
        Bounds(minimum: 0, maximum: 6, names: ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6]),
    ]

    private static let descriptors: Set<String> = ["@yearly", "@annually", "@monthly", "@weekly", "@daily",
                                                   "@midnight", "@hourly"]

    /// Why the schedule does not parse; nil when it does.
    static func problem(_ schedule: String) -> String? {
        var spec = schedule.trimmingWhitespace
        if spec.isEmpty { return "empty spec string" }
        if spec.hasPrefix("TZ=") || spec.hasPrefix("CRON_TZ=") {
            guard let space = spec.firstIndex(where: { $0 == " " || $0 == "\t" }) else {
                return "provided bad location \(spec.split(separator: "=", maxSplits: 1).last ?? ""): unknown time zone"
            }
            spec = String(spec[space...]).trimmingWhitespace
        }
        if spec.hasPrefix("@") {
            if descriptors.contains(spec) { return nil }
            if spec.hasPrefix("@every ") {
                let duration = String(spec.dropFirst("@every ".count))
                return isDuration(duration) ? nil : "failed to parse duration \(spec): time: invalid duration \"\(duration)\""
            }
            return "unrecognized descriptor: \(spec)"
        }
        let parts = spec.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard parts.count == 5 else {
            return "expected exactly 5 fields, found \(parts.count): [\(parts.joined(separator: " "))]"
        }
        for (part, bounds) in zip(parts, fields) {
            for range in part.split(separator: ",", omittingEmptySubsequences: false) {
                if let problem = rangeProblem(String(range), bounds) { return problem }
            }
        }
        return nil
    }

    /// One comma-separated element: "*", "?", "n", "a-b", each optionally "/step".
    private static func rangeProblem(_ expression: String, _ bounds: Bounds) -> String? {
        let stepParts = expression.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let rangeParts = stepParts[0].split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        var start: Int, end: Int
        if stepParts[0] == "*" || stepParts[0] == "?" {
            start = bounds.minimum
            end = bounds.maximum
        } else {
            switch number(rangeParts[0], bounds) {
            case .failure(let message): return message
            case .success(let value): start = value
            }
            switch rangeParts.count {
            case 1: end = start
            case 2:
                switch number(rangeParts[1], bounds) {
                case .failure(let message): return message
                case .success(let value): end = value
                }
            default: return "too many hyphens: \(expression)"
            }
        }
        switch stepParts.count {
        case 1: break
        case 2:
            switch number(stepParts[1], Bounds(minimum: 0, maximum: .max)) {
            case .failure(let message): return message
            case .success(let step):
                if step <= 0 { return "step of range should be a positive number: \(expression)" }
            }
            // "n/step" means from n to the end of the field.
            if rangeParts.count == 1 && stepParts[0] != "*" && stepParts[0] != "?" { end = bounds.maximum }
        default: return "too many slashes: \(expression)"
        }
        if start < bounds.minimum { return "beginning of range (\(start)) below minimum (\(bounds.minimum)): \(expression)" }
        if end > bounds.maximum { return "end of range (\(end)) above maximum (\(bounds.maximum)): \(expression)" }
        if start > end { return "beginning of range (\(start)) beyond end of range (\(end)): \(expression)" }
        return nil
    }

    private enum Parsed { case success(Int), failure(String) }

    private static func number(_ text: String, _ bounds: Bounds) -> Parsed {
        if let named = bounds.names[text.lowercased()] { return .success(named) }
        guard let value = Int(text) else {
            return .failure("failed to parse int from \(text): strconv.Atoi: parsing \"\(text)\": invalid syntax")
        }
        if value < 0 { return .failure("negative number (\(value)) not allowed: \(text)") }
        return .success(value)
    }

    /// Go duration syntax: one or more number-unit pairs ("1h30m", "90s").
    private static func isDuration(_ text: String) -> Bool {
        var rest = Substring(text)
        guard !rest.isEmpty else { return false }
        while !rest.isEmpty {
            let digits = rest.prefix(while: { $0.isNumber || $0 == "." })
            guard !digits.isEmpty else { return false }
            rest = rest.dropFirst(digits.count)
            guard let unit = ["ns", "us", "µs", "ms", "s", "m", "h"].sorted(by: { $0.count > $1.count })
                .first(where: { rest.hasPrefix($0) }) else { return false }
            rest = rest.dropFirst(unit.count)
        }
        return true
    }
}
