/// StructureDifference: names the top-level fields in which two values of one struct type
/// differ, so an update refused for "changing other fields" can say which ones.
///
/// Concurrency: pure functions over values. Must never: decide validity; it only explains a
/// refusal already made by comparing the values with ==.
enum StructureDifference {
    static func changedFields<T: Equatable>(_ new: T, _ old: T) -> [String] {
        let oldChildren = Mirror(reflecting: old).children
        var changed: [String] = []
        for (newChild, oldChild) in zip(Mirror(reflecting: new).children, oldChildren) {
            guard let label = newChild.label else { continue }
            if !equal(newChild.value, oldChild.value) { changed.append(label) }
        }
        return changed
    }

    private static func equal(_ left: Any, _ right: Any) -> Bool {
        // An absent optional does not cast to Equatable; compare absence first.
        switch (isNil(left), isNil(right)) {
        case (true, true): return true
        case (false, false): break
        default: return false
        }
        guard let left = left as? any Equatable else { return false }
        return left.isEqual(to: right)
    }
}

private func isNil(_ value: Any) -> Bool {
    let mirror = Mirror(reflecting: value)
    return mirror.displayStyle == .optional && mirror.children.isEmpty
}

private extension Equatable {
    func isEqual(to other: Any) -> Bool {
        guard let other = other as? Self else { return false }
        return self == other
    }
}
