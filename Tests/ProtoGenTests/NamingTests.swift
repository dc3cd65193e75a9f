@testable import ProtoGen
import Testing

/// The generator must name exactly the symbols protoc-c 1.4.1 emits; these cases were read off
/// its output (see also the build itself, which fails on any mismatch).
@Suite struct NamingTests {
    @Test(arguments: [
        ("skiff.core.v1.Pod", "Skiff__Core__V1__Pod", "skiff__core__v1__pod"),
        ("skiff.core.v1.HTTPGetAction", "Skiff__Core__V1__HTTPGetAction", "skiff__core__v1__httpget_action"),
        ("skiff.meta.v1.ObjectMeta.LabelsEntry", "Skiff__Meta__V1__ObjectMeta__LabelsEntry",
         "skiff__meta__v1__object_meta__labels_entry"),
        ("skiff.apps.v1.RollingUpdateDeployment", "Skiff__Apps__V1__RollingUpdateDeployment",
         "skiff__apps__v1__rolling_update_deployment"),
        ("skiff.core.v1.PodIP", "Skiff__Core__V1__PodIP", "skiff__core__v1__pod_ip"),
        ("a_b.c", "AB__C", "a_b__c"),
    ])
    func messageNames(fullName: String, structName: String, prefix: String) {
        #expect(CNaming.structName(fullName: fullName) == structName)
        #expect(CNaming.functionPrefix(fullName: fullName) == prefix)
    }

    @Test(arguments: [
        ("hostIP", "hostip"), ("namespace", "namespace_"), ("default", "default_"), ("operator", "operator_"),
        ("continue", "continue_"), ("protocol", "protocol"), ("Port", "port"), ("type", "type"),
    ])
    func fieldNames(proto: String, c: String) {
        #expect(CNaming.fieldName(proto) == c)
    }

    @Test func swiftKeywordsAreEscaped() {
        #expect(SwiftNaming.identifier("protocol") == "`protocol`")
        #expect(SwiftNaming.identifier("default") == "`default`")
        #expect(SwiftNaming.identifier("labels") == "labels")
    }
}
