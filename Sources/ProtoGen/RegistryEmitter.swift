/// Emits `WireRegistry`'s tables: every message type by proto name, and every API object and
/// list type, so that tools (busctl, skiffctl) can decode any payload and any manifest.
enum RegistryEmitter {
    static func emit(_ files: [GenFile]) -> String {
        let messages = files.flatMap(\.messages)
        var w = CodeWriter()
        w.line(generatedHeader)
        w.block("extension WireRegistry") { w in
            w.line("/// Every generated message type, by full proto name.")
            w.line("public static let messageTypes: [String: any WireMessage.Type] = [")
            for m in messages { w.line("    \"\(m.proto.fullName)\": \(m.swiftName).self,") }
            w.line("]")
            w.line()
            w.line("/// Every API object type (a kind with ObjectMeta).")
            w.line("public static let objectTypes: [any APIObject.Type] = [")
            for m in messages { if case .object = m.role { w.line("    \(m.swiftName).self,") } }
            w.line("]")
            w.line()
            w.line("/// Every list type (PodList, ...).")
            w.line("public static let listTypes: [any APIList.Type] = [")
            for m in messages { if case .list = m.role { w.line("    \(m.swiftName).self,") } }
            w.line("]")
        }
        return w.text
    }
}
