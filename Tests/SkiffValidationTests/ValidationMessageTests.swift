import SkiffAPI
import SkiffValidation
import SkiffWire
import Testing

/// The rendered errors read exactly as a Kubernetes apiserver words them.
@Suite struct ValidationMessageTests {
    static func messages(_ object: any APIObject) -> [String] {
        Validation.validateCreate(object).map(\.description)
    }

    @Test func anInvalidObjectNameIsExplainedWithTheSubdomainRule() {
        #expect(Self.messages(with(Fixtures.pod) { $0.metadata?.name = "Web_1" }) == [
            #"metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"#,
        ])
    }

    @Test func aServiceNameMustBeADNS1035Label() {
        #expect(Self.messages(with(Fixtures.service) { $0.metadata?.name = "1web" }) == [
            #"metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"#,
        ])
    }

    @Test func aNamespaceNameWithDotsIsToldItMustNotContainDots() {
        #expect(Self.messages(with(Fixtures.namespace) { $0.metadata?.name = "team.a" }) == [
            #"metadata.name: Invalid value: "team.a": must not contain dots"#,
        ])
    }

    @Test func missingAndUnsupportedValuesReadAsKubernetesSaysThem() {
        let pod = with(Fixtures.pod) {
            $0.spec?.containers[0].image = nil
            $0.spec?.containers[0].ports[0].protocol = "HTTP"
        }
        #expect(Set(Self.messages(pod)) == [
            "spec.containers[0].image: Required value",
            #"spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP""#,
        ])
    }

    @Test func aLongPortNameGetsTheIANARule() {
        let pod = with(Fixtures.pod) { $0.spec?.containers[0].ports[0].name = "http--metrics-and-more" }
        #expect(Self.messages(pod) == [
            #"spec.containers[0].ports[0].name: Invalid value: "http--metrics-and-more": must be no more than 15 characters"#,
            #"spec.containers[0].ports[0].name: Invalid value: "http--metrics-and-more": must not contain consecutive hyphens"#,
        ])
    }

    @Test func aSelectorThatMissesItsTemplateIsNamedOnTheTemplateLabels() {
        let deployment = with(Fixtures.replicaSet) { $0.spec?.template?.metadata?.labels = ["app": "other"] }
        #expect(Self.messages(deployment) == [
            "spec.template.metadata.labels: Invalid value: \"app=other\": `selector` does not match template `labels`",
        ])
    }

    @Test func aPodUpdateOutsideTheMutableFieldsQuotesKubernetesList() throws {
        let moved = with(Fixtures.pod) { $0.spec?.nodeName = "node-2" }
        let errors = Validation.validateUpdate(moved, old: Fixtures.pod)
        let error = try #require(errors.first)
        #expect(errors.count == 1)
        #expect(error.description.hasPrefix(
            "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n"))
        #expect(error.description.hasSuffix("(changed: spec.nodeName)"))
    }

    @Test func anImmutableFieldSaysSo() {
        let changed = with(Fixtures.replicaSet) { $0.spec?.selector?.matchLabels["tier"] = "web" }
        let moved = with(changed) { $0.spec?.template?.metadata?.labels["tier"] = "web" }
        #expect(Validation.validateUpdate(moved, old: Fixtures.replicaSet).map(\.description) == [
            #"spec.selector: Invalid value: "app=web,tier=web": field is immutable"#,
        ])
    }

    @Test func secretContentsAreNeverQuoted() {
        let secret = with(Fixtures.secret) {
            $0.type = "kubernetes.io/dockerconfigjson"
            $0.data = [".dockerconfigjson": Array("hunter2-not-json".utf8)]
        }
        let messages = Self.messages(secret)
        #expect(messages == [#"data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": must be a valid JSON object"#])
        #expect(!messages.joined().contains("hunter2"))
    }

    @Test func aBadScheduleCarriesTheCronParsersWords() {
        let cronJob = with(Fixtures.cronJob) { $0.spec?.schedule = "* * * *" }
        #expect(Self.messages(cronJob) == [#"spec.schedule: Invalid value: "* * * *": expected exactly 5 fields, found 4: [* * * *]"#])
    }

    @Test func tooLargeAnnotationsAreTooLong() {
        let configMap = with(Fixtures.configMap) { $0.metadata?.annotations["note"] = String(repeating: "x", count: 256 * 1024) }
        #expect(Self.messages(configMap) == ["metadata.annotations: Too long: may not be more than 262144 bytes"])
    }
}
