import SkiffAPI
import SkiffWire
import Testing

/// Label selectors: Kubernetes' string syntax, the object form, matching and the canonical text.
@Suite struct LabelQueryTests {
    // MARK: the string syntax

    @Test(arguments: [
        ("", ""),
        ("   ", ""),
        ("a=b", "a=b"),
        ("a==b", "a=b"),
        ("a!=b", "a!=b"),
        ("a=", "a="),
        ("env in (prod, qa)", "env in (prod,qa)"),
        ("env in (qa,prod,qa)", "env in (prod,qa)"),
        ("env in(prod)", "env in (prod)"),
        ("env in (prod,)", "env in (,prod)"),
        // The set {""} prints as "()", which Kubernetes' parser reads back as {""} (the
        // label-selector fuzz harness found the printed form refused).
        ("env in (,)", "env in ()"),
        ("env notin ()", "env notin ()"),
        ("tier notin (fe)", "tier notin (fe)"),
        ("partition", "partition"),
        ("!partition", "!partition"),
        ("b=1,a=2", "a=2,b=1"),
        ("  x = y ,  ! z , w  ", "w,x=y,!z"),
        ("example.com/app=web,app.kubernetes.io/name==db", "app.kubernetes.io/name=db,example.com/app=web"),
        ("a=b,a!=c", "a=b,a!=c"),
        ("gpus>1,cores<64", "cores<64,gpus>1"),
        ("a=in", "a=in"),
    ])
    func parsesToItsCanonicalForm(_ text: String, _ canonical: String) throws {
        let query = try LabelQuery.parse(text)
        #expect(query.description == canonical)
        // The canonical form means the same thing.
        #expect(try LabelQuery.parse(canonical) == query)
    }

    @Test(arguments: [
        ("a b", "unable to parse requirement: found 'b', expected: '=', '!=', '==', 'in', 'notin', '>' or '<'"),
        ("=b", "found '=', expected: !, identifier, or 'end of string'"),
        ("a=b,", "found 'end of string', expected: a requirement after ','"),
        ("a=b,,c=d", "found ',', expected: !, identifier, or 'end of string'"),
        ("a=b=c", "found '=', expected: ',' or 'end of string'"),
        ("!a=b", "found '=', expected: ',' or 'end of string'"),
        ("!", "unable to parse requirement: found 'end of string', expected: identifier after '!'"),
        ("a in prod", "unable to parse requirement: found 'prod', expected: '('"),
        ("a in (x", "unable to parse requirement: found 'end of string', expected: ',' or ')'"),
        ("a in (x y)", "unable to parse requirement: found 'y', expected: ',' or ')'"),
        ("a=(b)", "unable to parse requirement: found '(', expected: identifier"),
        ("n>x", "unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer"),
        ("a=-x", "unable to parse requirement: invalid label value: \"-x\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"),
        ("a/b/c=d", "unable to parse requirement: invalid label key \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"),
        (String(repeating: "k", count: 64), "unable to parse requirement: invalid label key \"\(String(repeating: "k", count: 64))\": name part must be no more than 63 characters"),
    ])
    func refusesMalformedSelectorsNamingTheBadPart(_ text: String, _ message: String) {
        #expect(throws: SelectorError(message)) { try LabelQuery.parse(text) }
    }

    @Test func aParseErrorBecomesABadRequest() throws {
        let error = try #require(throws: SelectorError.self) { try LabelQuery.parse("a in prod") }
        #expect(error.badRequest.code == 400)
        #expect(error.badRequest.reason == .badRequest)
        #expect(error.badRequest.message.hasPrefix("unable to parse requirement: "))
    }

    // MARK: matching

    static let web: [String: String] = ["app": "web", "env": "prod", "tier": "fe", "gpus": "2"]

    @Test(arguments: [
        ("", true),
        ("app=web", true),
        ("app==web", true),
        ("app=db", false),
        ("app!=db", true),
        ("app!=web", false),
        ("missing!=x", true),          // a negative requirement holds where the label is absent
        ("missing=", false),           // an empty value still needs the label
        ("env in (prod,qa)", true),
        ("env in (qa)", false),
        ("env notin (qa)", true),
        ("env notin (prod,qa)", false),
        ("missing notin (x)", true),
        ("missing in (x)", false),
        ("tier", true),
        ("missing", false),
        ("!missing", true),
        ("!tier", false),
        ("gpus>1", true),
        ("gpus>2", false),
        ("gpus<3", true),
        ("app>1", false),              // a value that is not a number never compares
        ("app=web,env=prod,!canary", true),
        ("app=web,env=qa", false),
    ])
    func matchesLabels(_ text: String, _ expected: Bool) throws {
        #expect(try LabelQuery.parse(text).matches(Self.web) == expected)
    }

    // MARK: the object form

    @Test func anObjectsSelectorBecomesAQuery() throws {
        let selector = LabelSelector(
            matchLabels: ["app": "web"],
            matchExpressions: [
                LabelSelectorRequirement(key: "tier", operator: "Exists"),
                LabelSelectorRequirement(key: "env", operator: "In", values: ["qa", "prod"]),
                LabelSelectorRequirement(key: "canary", operator: "DoesNotExist"),
                LabelSelectorRequirement(key: "zone", operator: "NotIn", values: ["b"]),
            ])
        let query = try LabelQuery(selector, at: FieldPath("spec.selector"))
        #expect(query.description == "app=web,!canary,env in (prod,qa),tier,zone notin (b)")
        #expect(query.matches(Self.web))
        #expect(!query.matches(Self.web.merging(["canary": "true"]) { $1 }))
        #expect(!query.matches(["app": "web", "env": "prod"]))
        #expect(!query.isEmpty)
        #expect(try LabelQuery.parse(query.description) == query)
    }

    @Test func aMissingSelectorMatchesNothingAndAnEmptyOneEverything() throws {
        let nothing = try LabelQuery(nil as LabelSelector?)
        #expect(nothing == .nothing)
        #expect(nothing.matchesNothing)
        #expect(!nothing.isEmpty)
        #expect(!nothing.matches([:]))
        #expect(!nothing.matches(Self.web))

        let everything = try LabelQuery(LabelSelector())
        #expect(everything == .everything)
        #expect(everything.isEmpty)
        #expect(everything.matches([:]))
        #expect(everything.matches(Self.web))
        #expect(everything.description == "")
    }

    @Test(arguments: [
        (LabelSelectorRequirement(key: "env", operator: "Within", values: ["prod"]),
         ["spec.selector.matchExpressions[0].operator: Unsupported value: \"Within\": supported values: \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\""]),
        (LabelSelectorRequirement(key: "env", operator: "In"),
         ["spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"]),
        (LabelSelectorRequirement(key: "env", operator: "Exists", values: ["prod"]),
         ["spec.selector.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"]),
        (LabelSelectorRequirement(key: "env"),
         ["spec.selector.matchExpressions[0].operator: Required value"]),
        (LabelSelectorRequirement(key: "-env", operator: "Exists"),
         ["spec.selector.matchExpressions[0].key: Invalid value: \"-env\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"]),
        (LabelSelectorRequirement(key: "env", operator: "In", values: ["ok", "not ok"]),
         ["spec.selector.matchExpressions[0].values[1]: Invalid value: \"not ok\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"]),
    ])
    func anInvalidObjectSelectorNamesTheField(_ requirement: LabelSelectorRequirement, _ messages: [String]) {
        let selector = LabelSelector(matchExpressions: [requirement])
        let errors = LabelQuery.validate(selector, at: FieldPath("spec.selector"))
        #expect(errors.map(\.description) == messages)
        #expect(throws: SelectorError(messages.joined(separator: ", "), fieldErrors: errors)) {
            try LabelQuery(selector, at: FieldPath("spec.selector"))
        }
    }

    @Test func invalidMatchLabelsAreReportedAtMatchLabels() {
        let selector = LabelSelector(matchLabels: ["app": "web", "bad key": "x"])
        let errors = LabelQuery.validate(selector, at: FieldPath("spec.selector"))
        #expect(errors.count == 1)
        #expect(errors.first?.field == "spec.selector.matchLabels")
        #expect(errors.first?.value == "bad key")
        #expect(errors.first?.kind == .invalid)
    }

    @Test func aReplicationControllersMapSelectsByEquality() {
        let query = LabelQuery(matching: ["tier": "fe", "app": "web"])
        #expect(query.description == "app=web,tier=fe")
        #expect(query.matches(Self.web))
        #expect(!query.matches(["app": "web"]))
        #expect(LabelQuery(matching: [:]).isEmpty)
        #expect(LabelQuery(matching: [:]).matches(Self.web))
    }

    @Test func requirementsCanBeBuiltDirectly() throws {
        let requirement = try LabelQuery.Requirement(key: "env", operator: .notIn, values: ["qa", "dev", "qa"])
        #expect(requirement.values == ["dev", "qa"])
        #expect(requirement.description == "env notin (dev,qa)")
        #expect(throws: SelectorError("exact-match compatibility requires one single value")) {
            try LabelQuery.Requirement(key: "env", operator: .equals, values: ["a", "b"])
        }
        #expect(throws: SelectorError("values set must be empty for exists and does not exist")) {
            try LabelQuery.Requirement(key: "env", operator: .exists, values: ["a"])
        }
    }
}
