/// FieldChecks: the small checks every area of validation shares (ranges, supported values,
/// immutability, labels, annotations, quantities), each returning Kubernetes' field errors.
///
/// Concurrency: pure functions. Must never: stop at the first problem; every check returns all
/// of its errors so the apiserver can report them together.
import SkiffAPI
import SkiffWire

extension FieldError {
    static func required(_ path: FieldPath, _ detail: String = "") -> FieldError { .required(path.description, detail) }
    static func invalid(_ path: FieldPath, _ value: String, _ detail: String) -> FieldError {
        .invalid(path.description, value, detail)
    }
    /// An invalid value too large or structured to quote (a whole selector, a template).
    static func invalid(_ path: FieldPath, _ detail: String) -> FieldError {
        FieldError(.invalid, path.description, value: nil, detail)
    }
    static func notSupported(_ path: FieldPath, _ value: String, _ supported: [String]) -> FieldError {
        .notSupported(path.description, value, supported: supported)
    }
    static func duplicate(_ path: FieldPath, _ value: String) -> FieldError { .duplicate(path.description, value) }
    static func forbidden(_ path: FieldPath, _ detail: String) -> FieldError { .forbidden(path.description, detail) }
    static func notFound(_ path: FieldPath, _ value: String) -> FieldError {
        FieldError(.notFound, path.description, value: value)
    }
    static func tooLong(_ path: FieldPath, bytes: Int) -> FieldError {
        FieldError(.tooLong, path.description, "may not be more than \(bytes) bytes")
    }
}

enum FieldChecks {
    static let negativeMessage = "must be greater than or equal to 0"
    static let immutableMessage = "field is immutable"

    /// Each message of a format check as an Invalid error on `path`.
    static func format(_ messages: [String], _ value: String, _ path: FieldPath) -> [FieldError] {
        messages.map { .invalid(path, value, $0) }
    }

    /// A name that must be present and well formed.
    static func requiredName(_ value: String?, _ path: FieldPath, _ rule: (String) -> [String]) -> [FieldError] {
        guard let value, !value.isEmpty else { return [.required(path)] }
        return format(rule(value), value, path)
    }

    /// A name checked only when present.
    static func optionalName(_ value: String?, _ path: FieldPath, _ rule: (String) -> [String]) -> [FieldError] {
        guard let value, !value.isEmpty else { return [] }
        return format(rule(value), value, path)
    }

    static func nonNegative<T: BinaryInteger>(_ value: T?, _ path: FieldPath) -> [FieldError] {
        guard let value, value < 0 else { return [] }
        return [.invalid(path, String(value), negativeMessage)]
    }

    static func positive<T: BinaryInteger>(_ value: T?, _ path: FieldPath, _ message: String = "must be greater than 0") -> [FieldError] {
        guard let value, value <= 0 else { return [] }
        return [.invalid(path, String(value), message)]
    }

    static func inRange<T: BinaryInteger>(_ value: T?, _ low: Int64, _ high: Int64, _ path: FieldPath) -> [FieldError] {
        guard let value else { return [] }
        let wide = Int64(clamping: value)
        guard wide < low || wide > high else { return [] }
        return [.invalid(path, String(value), NameFormats.inclusiveRange(low, high))]
    }

    static func portNumber<T: BinaryInteger>(_ value: T, _ path: FieldPath) -> [FieldError] {
        inRange(value, 1, 65535, path)
    }

    /// An enumerated value that defaulting always fills: missing is Required, anything else
    /// outside `supported` is NotSupported.
    static func requiredChoice(_ value: String?, _ supported: [String], _ path: FieldPath) -> [FieldError] {
        guard let value, !value.isEmpty else { return [.required(path)] }
        return supported.contains(value) ? [] : [.notSupported(path, value, supported)]
    }

    /// An enumerated value checked only when present.
    static func optionalChoice(_ value: String?, _ supported: [String], _ path: FieldPath) -> [FieldError] {
        guard let value else { return [] }
        return supported.contains(value) ? [] : [.notSupported(path, value, supported)]
    }

    static func immutable<T: Equatable>(_ new: T, _ old: T, _ path: FieldPath, shown value: String?) -> [FieldError] {
        guard new != old else { return [] }
        if let value { return [.invalid(path, value, immutableMessage)] }
        return [.invalid(path, immutableMessage)]
    }

    // MARK: Labels and annotations

    /// Keys must be qualified names and values label values; errors name the map, as Kubernetes does.
    static func labels(_ labels: [String: String], _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        for key in labels.keys.sorted() {
            errors += format(NameFormats.qualifiedName(key), key, path)
            let value = labels[key] ?? ""
            errors += format(NameFormats.labelValue(value), value, path)
        }
        return errors
    }

    static let annotationsSizeLimit = 256 * 1024

    static func annotations(_ annotations: [String: String], _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        var size = 0
        for key in annotations.keys.sorted() {
            // Kubernetes lower-cases annotation keys before checking them.
            errors += format(NameFormats.qualifiedName(key.lowercased()), key, path)
            size += key.utf8.count + (annotations[key]?.utf8.count ?? 0)
        }
        if size > annotationsSizeLimit { errors.append(.tooLong(path, bytes: annotationsSizeLimit)) }
        return errors
    }

    // MARK: Quantities

    static func nonNegative(_ quantity: Quantity, _ path: FieldPath) -> [FieldError] {
        quantity.milliValue < 0 ? [.invalid(path, quantity.string, negativeMessage)] : []
    }

    static func positive(_ quantity: Quantity, _ path: FieldPath) -> [FieldError] {
        quantity.milliValue <= 0 ? [.invalid(path, quantity.string, "must be greater than zero")] : []
    }

    // MARK: Int-or-percent

    /// maxSurge, maxUnavailable: a non-negative count or a percentage.
    static func countOrPercent(_ value: IntOrString?, _ path: FieldPath) -> [FieldError] {
        switch value {
        case nil: return []
        case .int(let count)?: return nonNegative(count, path)
        case .string(let text)?: return format(NameFormats.percent(text), text, path)
        }
    }

    static func atMost100Percent(_ value: IntOrString?, _ path: FieldPath) -> [FieldError] {
        guard case .string(let text)? = value, NameFormats.percent(text).isEmpty,
              let percent = Int(text.dropLast()), percent > 100 else { return [] }
        return [.invalid(path, text, "must not be greater than 100%")]
    }

    /// The number an int-or-percent stands for before scaling: 25 for "25%", 0 when absent.
    static func countOrPercentValue(_ value: IntOrString?) -> Int {
        switch value {
        case nil: return 0
        case .int(let count)?: return Int(count)
        case .string(let text)?: return NameFormats.percent(text).isEmpty ? Int(text.dropLast()) ?? 0 : 0
        }
    }

    /// A port given by number (1-65535) or by IANA name.
    static func portNumberOrName(_ port: IntOrString?, _ path: FieldPath) -> [FieldError] {
        switch port {
        case nil: return [.required(path)]
        case .int(let number)?: return portNumber(number, path)
        case .string(let name)?: return format(NameFormats.portName(name), name, path)
        }
    }
}
