/// FuzzHarnesses: the registry of every harness, by name. Adding a decoder is one line here
/// (plus a corpus directory Tests/SkiffFuzzTests/Corpus/NAME/ with a few valid inputs):
/// `make fuzz`, `skiff-fuzz` and SkiffFuzzTests all read this list.
///
/// Concurrency: an immutable table. Must never: hold two harnesses with one name (the name is
/// the corpus directory and the libFuzzer target).
public enum FuzzHarnesses {
    public static let all: [FuzzHarness] = [
        // The bus: frames and envelopes from any peer on a socket.
        BusHarnesses.envelope,
        BusHarnesses.topicFrame,
        // Protobuf API messages: what the apiserver, the store and every component decode.
        ProtobufHarnesses.apiRequest,
        ProtobufHarnesses.apiResponse,
        ProtobufHarnesses.apiWatchEvent,
        ProtobufHarnesses.storeMessage,
        ProtobufHarnesses.anyMessage,
        // JSON and YAML: manifests, `skiffctl apply -f`, merge patches.
        ManifestHarnesses.jsonObject,
        ManifestHarnesses.manifest,
        ManifestHarnesses.mergePatch,
        // The small parsers every request passes through.
        SelectorHarnesses.labelSelector,
        SelectorHarnesses.fieldSelector,
        ValueHarnesses.quantity,
        ValueHarnesses.intOrString,
        // Cluster DNS: queries from any pod, records from the upstream forwarder.
        DNSHarnesses.query,
        DNSHarnesses.message,
        // Secrets at rest: the key file and what the store hands back.
        SecretHarnesses.keyFile,
        SecretHarnesses.sealedValue,
        // Credentials: the token file, every request's bearer token, every client's kubeconfig.
        AuthHarnesses.tokenFile,
        AuthHarnesses.serviceAccountToken,
        AuthHarnesses.kubeconfig,
    ]

    public static func named(_ name: String) -> FuzzHarness? { all.first { $0.name == name } }
}
