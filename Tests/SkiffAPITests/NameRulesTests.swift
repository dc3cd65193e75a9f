import SkiffAPI
import Testing

/// Names, label keys and label values are judged as Kubernetes judges them, in its words.
@Suite struct NameRulesTests {
    static let long63 = String(repeating: "a", count: 63)
    static let long64 = String(repeating: "a", count: 64)

    @Test(arguments: ["app", "App_1.x-y", "example.com/app", "k8s.io/MyName", "a", long63, "a.b/" + long63])
    func validQualifiedNames(_ name: String) {
        #expect(NameRules.isQualifiedName(name) == [])
    }

    @Test(arguments: [
        ("", ["name part must be non-empty",
              "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"]),
        ("-app", ["name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"]),
        (long64, ["name part must be no more than 63 characters"]),
        ("/app", ["prefix part must be non-empty"]),
        ("Example.com/app", ["prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"]),
        ("a/b/c", ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]),
    ])
    func invalidQualifiedNames(_ name: String, _ problems: [String]) {
        #expect(NameRules.isQualifiedName(name) == problems)
    }

    @Test(arguments: ["", "web", "v1.2_3-x", long63])
    func validLabelValues(_ value: String) {
        #expect(NameRules.isLabelValue(value) == [])
    }

    @Test func invalidLabelValues() {
        let pattern = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
        #expect(NameRules.isLabelValue("web-") == [pattern])
        #expect(NameRules.isLabelValue("a b") == [pattern])
        #expect(NameRules.isLabelValue(Self.long64) == ["must be no more than 63 characters"])
    }

    @Test(arguments: [
        ("web-1", []),
        ("1web", []),
        ("Web", ["a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"]),
        ("web.example", ["must not contain dots"]),
        (long64, ["must be no more than 63 characters"]),
    ])
    func dns1123Labels(_ name: String, _ problems: [String]) {
        #expect(NameRules.isDNS1123Label(name) == problems)
    }

    @Test func dns1123Subdomains() {
        #expect(NameRules.isDNS1123Subdomain("web.example.com") == [])
        #expect(NameRules.isDNS1123Subdomain("web..example").count == 1)
        #expect(NameRules.isDNS1123Subdomain("web_1").count == 1)
        #expect(NameRules.isDNS1123Subdomain(String(repeating: "a.", count: 127) + "a")
                == ["must be no more than 253 characters"])
    }

    @Test func dns1035LabelsStartWithALetter() {
        #expect(NameRules.isDNS1035Label("my-service") == [])
        #expect(NameRules.isDNS1035Label("1service") == ["a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"])
    }
}
