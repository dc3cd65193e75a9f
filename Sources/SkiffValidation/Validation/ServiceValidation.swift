/// ServiceValidation: Services (a stable virtual IP and ports in front of selected pods) and
/// Endpoints (the addresses behind them): types, ports, cluster IPs, node ports, affinity.
///
/// Concurrency: pure functions. Must never: let an allocated cluster IP change on update; the
/// proxy programmed it and clients cached it.
import SkiffAPI
import SkiffWire

enum ServiceValidation {
    static let specPath = FieldPath("spec")
    static let types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
    static let sessionAffinities = ["ClientIP", "None"]
    static let nodePortRange: ClosedRange<Int32> = 30000...32767
    static let maxClientIPTimeout: Int32 = 86400

    // MARK: Service

    static func validate(_ service: Service) -> [FieldError] {
        // Service names become DNS labels and environment variable prefixes: RFC 1035.
        ObjectMetaValidation.validate(service.metadata, namespaced: true, name: NameFormats.dns1035Label)
            + serviceSpec(service.spec)
    }

    static func validateUpdate(_ service: Service, old: Service) -> [FieldError] {
        var errors = ObjectMetaValidation.validateUpdate(service.metadata, old: old.metadata)
        let new = service.spec ?? ServiceSpec(), previous = old.spec ?? ServiceSpec()
        // Moving to or from ExternalName releases or allocates the IP; otherwise it stays. An
        // update that leaves it out keeps the allocated one (as Kubernetes carries it over).
        if new.type != "ExternalName" && previous.type != "ExternalName",
           let allocated = previous.clusterIP, !allocated.isEmpty,
           let requested = new.clusterIP, !requested.isEmpty, requested != allocated {
            errors.append(.invalid(specPath.child("clusterIP"), requested, "may not change once set"))
        }
        if new.type == "LoadBalancer" && previous.type == "LoadBalancer" && new.loadBalancerClass != previous.loadBalancerClass {
            errors.append(.invalid(specPath.child("loadBalancerClass"), new.loadBalancerClass ?? "", "may not change once set"))
        }
        errors += serviceSpec(service.spec)
        return errors
    }

    private static func isHeadless(_ spec: ServiceSpec) -> Bool {
        spec.clusterIP == "None" || spec.clusterIPs == ["None"]
    }

    private static func serviceSpec(_ spec: ServiceSpec?) -> [FieldError] {
        guard let spec else { return [.required(specPath)] }
        var errors: [FieldError] = []
        let type = spec.type ?? ""
        let headless = isHeadless(spec)
        if spec.ports.isEmpty && !headless && type != "ExternalName" { errors.append(.required(specPath.child("ports"))) }
        switch type {
        case "LoadBalancer", "NodePort":
            if headless {
                errors.append(.invalid(specPath.child("clusterIP"), "None", "may not be set to 'None' for \(type) services"))
            }
        case "ExternalName":
            if !(spec.clusterIP ?? "").isEmpty || !spec.clusterIPs.isEmpty {
                errors.append(.forbidden(specPath.child("clusterIP"), "may not be set for ExternalName services"))
            }
            if !spec.ipFamilies.isEmpty {
                errors.append(.forbidden(specPath.child("ipFamilies"), "may not be set for ExternalName services"))
            }
            if spec.ipFamilyPolicy != nil {
                errors.append(.forbidden(specPath.child("ipFamilyPolicy"), "may not be set for ExternalName services"))
            }
            // A CNAME may end in a dot to mark it fully qualified.
            var name = spec.externalName ?? ""
            if name.hasSuffix(".") { name.removeLast() }
            if name.isEmpty {
                errors.append(.required(specPath.child("externalName")))
            } else {
                errors += FieldChecks.format(NameFormats.dns1123Subdomain(name), name, specPath.child("externalName"))
            }
        default:
            break
        }
        errors += ports(spec.ports, type: type)
        errors += FieldChecks.labels(spec.selector, specPath.child("selector"))
        errors += FieldChecks.requiredChoice(spec.sessionAffinity, sessionAffinities, specPath.child("sessionAffinity"))
        let affinityConfigPath = specPath.child("sessionAffinityConfig")
        if spec.sessionAffinity == "ClientIP" {
            if let timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds {
                if timeout <= 0 || timeout > maxClientIPTimeout {
                    errors.append(.invalid(affinityConfigPath.child("clientIP").child("timeoutSeconds"), String(timeout),
                                           "must be greater than 0 and less than \(maxClientIPTimeout)"))
                }
            } else {
                let missing = spec.sessionAffinityConfig == nil ? affinityConfigPath
                    : spec.sessionAffinityConfig?.clientIP == nil ? affinityConfigPath.child("clientIP")
                    : affinityConfigPath.child("clientIP").child("timeoutSeconds")
                errors.append(.required(missing, "when session affinity type is ClientIP"))
            }
        } else if spec.sessionAffinity == "None" && spec.sessionAffinityConfig != nil {
            errors.append(.forbidden(affinityConfigPath, "must not be set when session affinity is None"))
        }
        if type != "ExternalName" { errors += clusterIPs(spec) }
        for (index, ip) in spec.externalIPs.enumerated() {
            let ipPath = specPath.child("externalIPs").index(index)
            let problems = NetworkAddress.validateIP(ip, ipPath)
            errors += problems.isEmpty ? NetworkAddress.validateNonSpecial(ip, ipPath) : problems
        }
        errors += FieldChecks.requiredChoice(spec.type, types, specPath.child("type"))
        if !spec.loadBalancerSourceRanges.isEmpty {
            let rangesPath = specPath.child("loadBalancerSourceRanges")
            if type != "LoadBalancer" { errors.append(.forbidden(rangesPath, "may only be used when `type` is 'LoadBalancer'")) }
            for (index, range) in spec.loadBalancerSourceRanges.enumerated() {
                errors += NetworkAddress.validateCIDR(range.trimmingWhitespace, rangesPath.index(index))
            }
        }
        if spec.allocateLoadBalancerNodePorts != nil && type != "LoadBalancer" {
            errors.append(.forbidden(specPath.child("allocateLoadBalancerNodePorts"), "may only be used when `type` is 'LoadBalancer'"))
        }
        if let lbClass = spec.loadBalancerClass {
            if type == "LoadBalancer" {
                errors += FieldChecks.format(NameFormats.qualifiedName(lbClass), lbClass, specPath.child("loadBalancerClass"))
            } else {
                errors.append(.forbidden(specPath.child("loadBalancerClass"), "may only be used when `type` is 'LoadBalancer'"))
            }
        }
        errors += trafficPolicies(spec, type: type)
        for (index, family) in spec.ipFamilies.enumerated() {
            let familyPath = specPath.child("ipFamilies").index(index)
            errors += FieldChecks.optionalChoice(family, ["IPv4", "IPv6"], familyPath)
            if spec.ipFamilies[..<index].contains(family) { errors.append(.duplicate(familyPath, family)) }
        }
        errors += FieldChecks.optionalChoice(spec.ipFamilyPolicy, ["PreferDualStack", "RequireDualStack", "SingleStack"],
                                             specPath.child("ipFamilyPolicy"))
        if let distribution = spec.trafficDistribution {
            errors += FieldChecks.optionalChoice(distribution, ["PreferClose"], specPath.child("trafficDistribution"))
        }
        return errors
    }

    private static func ports(_ ports: [ServicePort], type: String) -> [FieldError] {
        var errors: [FieldError] = []
        var names: Set<String> = [], nodePorts: Set<String> = [], servicePorts: Set<String> = []
        let portsPath = specPath.child("ports")
        for (index, port) in ports.enumerated() {
            let portPath = portsPath.index(index)
            let name = port.name ?? ""
            if ports.count > 1 && name.isEmpty {
                errors.append(.required(portPath.child("name")))
            } else if !name.isEmpty {
                errors += FieldChecks.format(NameFormats.dns1123Label(name), name, portPath.child("name"))
                if !names.insert(name).inserted { errors.append(.duplicate(portPath.child("name"), name)) }
            }
            errors += FieldChecks.portNumber(port.port ?? 0, portPath.child("port"))
            errors += FieldChecks.requiredChoice(port.protocol, ContainerValidation.protocols, portPath.child("protocol"))
            // Absent, the target port is defaulted to the port itself.
            if let target = port.targetPort { errors += FieldChecks.portNumberOrName(target, portPath.child("targetPort")) }
            if let appProtocol = port.appProtocol {
                errors += FieldChecks.format(NameFormats.qualifiedName(appProtocol), appProtocol, portPath.child("appProtocol"))
            }
            if let nodePort = port.nodePort, nodePort != 0 {
                let nodePortPath = portPath.child("nodePort")
                if type == "ClusterIP" {
                    errors.append(.forbidden(nodePortPath, "may not be used when `type` is 'ClusterIP'"))
                } else if !nodePortRange.contains(nodePort) {
                    errors.append(.invalid(nodePortPath, String(nodePort),
                                           "provided port is not in the valid range. The range of valid ports is \(nodePortRange.lowerBound)-\(nodePortRange.upperBound)"))
                }
                if !nodePorts.insert("\(port.protocol ?? "")/\(nodePort)").inserted {
                    errors.append(.duplicate(nodePortPath, String(nodePort)))
                }
            }
            let key = "\(port.protocol ?? "")/\(port.port ?? 0)"
            if !servicePorts.insert(key).inserted { errors.append(.duplicate(portPath, key)) }
        }
        return errors
    }

    private static func clusterIPs(_ spec: ServiceSpec) -> [FieldError] {
        var errors: [FieldError] = []
        let clusterIP = spec.clusterIP ?? ""
        let ipsPath = specPath.child("clusterIPs")
        if clusterIP != "None" && !clusterIP.isEmpty {
            errors += NetworkAddress.validateIP(clusterIP, specPath.child("clusterIP"))
        }
        if clusterIP.isEmpty && !spec.clusterIPs.isEmpty {
            errors.append(.invalid(ipsPath, spec.clusterIPs.joined(separator: ","), "must be empty when `clusterIP` is not specified"))
        } else if let first = spec.clusterIPs.first, first != clusterIP {
            errors.append(.invalid(ipsPath, spec.clusterIPs.joined(separator: ","), "first value must match `clusterIP`"))
        }
        for (index, ip) in spec.clusterIPs.enumerated() {
            if ip == "None" {
                if index > 0 || spec.clusterIPs.count > 1 {
                    errors.append(.invalid(ipsPath, spec.clusterIPs.joined(separator: ","), "'None' must be the first and only value"))
                }
                continue
            }
            errors += NetworkAddress.validateIP(ip, ipsPath.index(index))
        }
        if spec.clusterIPs.count > 2 {
            errors.append(.invalid(ipsPath, spec.clusterIPs.joined(separator: ","), "may only hold up to 2 values"))
        }
        return errors
    }

    private static func trafficPolicies(_ spec: ServiceSpec, type: String) -> [FieldError] {
        var errors: [FieldError] = []
        let externallyAccessible = type == "NodePort" || type == "LoadBalancer" || (type == "ClusterIP" && !spec.externalIPs.isEmpty)
        let externalPath = specPath.child("externalTrafficPolicy")
        if externallyAccessible {
            errors += FieldChecks.requiredChoice(spec.externalTrafficPolicy, ["Cluster", "Local"], externalPath)
        } else if let policy = spec.externalTrafficPolicy, !policy.isEmpty {
            errors.append(.invalid(externalPath, policy, "may only be set for externally-accessible services"))
        }
        let healthPath = specPath.child("healthCheckNodePort")
        if type == "LoadBalancer" && spec.externalTrafficPolicy == "Local" {
            if let port = spec.healthCheckNodePort, port != 0 {
                errors += FieldChecks.portNumber(port, healthPath)
            } else {
                errors.append(.required(healthPath))
            }
        } else if let port = spec.healthCheckNodePort, port != 0 {
            errors.append(.invalid(healthPath, String(port),
                                   "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
        }
        let internalPath = specPath.child("internalTrafficPolicy")
        if ["ClusterIP", "NodePort", "LoadBalancer"].contains(type) {
            errors += FieldChecks.requiredChoice(spec.internalTrafficPolicy, ["Cluster", "Local"], internalPath)
        } else {
            errors += FieldChecks.optionalChoice(spec.internalTrafficPolicy, ["Cluster", "Local"], internalPath)
        }
        return errors
    }

    // MARK: Endpoints

    static func validate(_ endpoints: Endpoints) -> [FieldError] {
        ObjectMetaValidation.validate(endpoints.metadata, namespaced: true, name: NameFormats.dns1123Subdomain)
            + subsets(endpoints.subsets)
    }

    static func validateUpdate(_ endpoints: Endpoints, old: Endpoints) -> [FieldError] {
        ObjectMetaValidation.validateUpdate(endpoints.metadata, old: old.metadata) + subsets(endpoints.subsets)
    }

    private static func subsets(_ subsets: [EndpointSubset]) -> [FieldError] {
        var errors: [FieldError] = []
        for (index, subset) in subsets.enumerated() {
            let subsetPath = FieldPath("subsets").index(index)
            if subset.addresses.isEmpty && subset.notReadyAddresses.isEmpty {
                errors.append(.required(subsetPath, "must specify `addresses` or `notReadyAddresses`"))
            }
            for (field, addresses) in [("addresses", subset.addresses), ("notReadyAddresses", subset.notReadyAddresses)] {
                for (addressIndex, address) in addresses.enumerated() {
                    errors += endpointAddress(address, subsetPath.child(field).index(addressIndex))
                }
            }
            for (portIndex, port) in subset.ports.enumerated() {
                let portPath = subsetPath.child("ports").index(portIndex)
                let name = port.name ?? ""
                if subset.ports.count > 1 && name.isEmpty {
                    errors.append(.required(portPath.child("name")))
                } else if !name.isEmpty {
                    errors += FieldChecks.format(NameFormats.dns1123Label(name), name, portPath.child("name"))
                }
                errors += FieldChecks.portNumber(port.port ?? 0, portPath.child("port"))
                errors += FieldChecks.requiredChoice(port.protocol, ContainerValidation.protocols, portPath.child("protocol"))
                if let appProtocol = port.appProtocol {
                    errors += FieldChecks.format(NameFormats.qualifiedName(appProtocol), appProtocol, portPath.child("appProtocol"))
                }
            }
        }
        return errors
    }

    private static func endpointAddress(_ address: EndpointAddress, _ path: FieldPath) -> [FieldError] {
        let ip = address.ip ?? ""
        let ipErrors = NetworkAddress.validateIP(ip, path.child("ip"))
        var errors = ipErrors.isEmpty ? NetworkAddress.validateNonSpecial(ip, path.child("ip")) : ipErrors
        errors += FieldChecks.optionalName(address.hostname, path.child("hostname"), NameFormats.dns1123Label)
        if let node = address.nodeName {
            errors += FieldChecks.format(NameFormats.dns1123Subdomain(node), node, path.child("nodeName"))
        }
        return errors
    }
}
