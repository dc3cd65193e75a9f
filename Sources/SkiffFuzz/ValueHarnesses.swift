/// ValueHarnesses: Kubernetes' special value types: resource quantities ("500m", "1.5Gi",
/// "1e3"), parsed on every decode of an object with resources and turned into numbers by the
/// scheduler, and IntOrString ("25%", 8080), resolved against replica counts by rollouts.
///
/// Concurrency: pure. Must never: depend on the machine's locale.
import Foundation
import SkiffWire

enum ValueHarnesses {
    static let quantity = FuzzHarness("quantity", "Quantity from text and from JSON; an accepted quantity has a value") { bytes in
        var accepted = false
        if let quantity = Quantity(String(decoding: bytes, as: UTF8.self)) {
            _ = quantity.value
            _ = quantity.milliValue
            accepted = true
        }
        if let decoded = try? JSONDecoder().decode(Quantity.self, from: Data(bytes)) {
            _ = decoded.value
            _ = decoded.milliValue
            accepted = true
        }
        return accepted
    }

    /// Replica counts a percentage is resolved against: zero, small, large, the Int32 limit.
    static let totals = [0, 1, 3, 10, 1000, Int(Int32.max)]

    static let intOrString = FuzzHarness("int-or-string", "IntOrString from JSON, resolved against replica counts; round-trips") { bytes in
        guard let value = try? JSONDecoder().decode(IntOrString.self, from: Data(bytes)) else { return false }
        for total in totals {
            _ = value.scaled(total: total, roundUp: true)
            _ = value.scaled(total: total, roundUp: false)
        }
        guard let encoded = try? JSONEncoder().encode(value) else {
            fatalError("int-or-string: \(value) decoded but does not encode")
        }
        FuzzInvariant.check((try? JSONDecoder().decode(IntOrString.self, from: encoded)) == value,
                            "int-or-string", "\(value) changed in a JSON round trip")
        return true
    }
}
