/// NodeValidation: Nodes: subdomain names, taints (qualified keys, label values, a known effect,
/// unique by key and effect), pod CIDRs, resource amounts, and what stays fixed once assigned.
///
/// Concurrency: pure functions. Must never: let a node's pod CIDR or provider ID change once
/// set; pods already have addresses from that range.
import SkiffAPI
import SkiffWire

enum NodeValidation {
    static let specPath = FieldPath("spec")
    static let cidrChangeMessage = "node updates may not change podCIDR except from \"\" to valid"

    static func validate(_ node: Node) -> [FieldError] {
        ObjectMetaValidation.validate(node.metadata, namespaced: false, name: NameFormats.dns1123Subdomain) + body(node)
    }

    static func validateUpdate(_ node: Node, old: Node) -> [FieldError] {
        var errors = ObjectMetaValidation.validateUpdate(node.metadata, old: old.metadata) + body(node)
        let new = node.spec ?? NodeSpec(), previous = old.spec ?? NodeSpec()
        if let oldCIDR = previous.podCIDR, !oldCIDR.isEmpty, new.podCIDR != oldCIDR {
            errors.append(.forbidden(specPath.child("podCIDR"), cidrChangeMessage))
        }
        if !previous.podCIDRs.isEmpty && new.podCIDRs != previous.podCIDRs {
            errors.append(.forbidden(specPath.child("podCIDRs"), cidrChangeMessage))
        }
        if let providerID = previous.providerID, !providerID.isEmpty, new.providerID != providerID {
            errors.append(.forbidden(specPath.child("providerID"), "node updates may not change providerID except from \"\" to valid"))
        }
        return errors
    }

    private static func body(_ node: Node) -> [FieldError] {
        var errors = taints(node.spec?.taints ?? [], specPath.child("taints"))
        if let cidr = node.spec?.podCIDR, !cidr.isEmpty {
            errors += NetworkAddress.validateCIDR(cidr, specPath.child("podCIDR"))
        }
        let cidrs = node.spec?.podCIDRs ?? []
        for (index, cidr) in cidrs.enumerated() {
            let cidrPath = specPath.child("podCIDRs").index(index)
            errors += NetworkAddress.validateCIDR(cidr, cidrPath)
            if cidrs[..<index].contains(cidr) { errors.append(.duplicate(cidrPath, cidr)) }
        }
        if cidrs.count > 2 {
            errors.append(.invalid(specPath.child("podCIDRs"), cidrs.joined(separator: ","),
                                   "may specify no more than one CIDR for each IP family"))
        }
        for (field, resources) in [("capacity", node.status?.capacity ?? [:]), ("allocatable", node.status?.allocatable ?? [:])] {
            for name in resources.keys.sorted() {
                guard let amount = resources[name] else { continue }
                errors += ResourceValidation.quantity(name, amount, FieldPath("status").child(field).child(name))
            }
        }
        return errors
    }

    static func taints(_ taints: [Taint], _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        var seen: Set<String> = []
        for (index, taint) in taints.enumerated() {
            let taintPath = path.index(index)
            let key = taint.key ?? "", value = taint.value ?? "", effect = taint.effect ?? ""
            errors += FieldChecks.format(NameFormats.qualifiedName(key), key, taintPath.child("key"))
            let valueProblems = NameFormats.labelValue(value)
            if !valueProblems.isEmpty {
                errors.append(.invalid(taintPath.child("value"), value, valueProblems.joined(separator: ";")))
            }
            errors += FieldChecks.requiredChoice(taint.effect, PodSpecValidation.taintEffects, taintPath.child("effect"))
            if !seen.insert("\(effect)/\(key)").inserted {
                errors.append(FieldError(.duplicate, taintPath.description, value: "\(key)=\(value):\(effect)",
                                         "taints must be unique by key and effect pair"))
            }
        }
        return errors
    }
}
