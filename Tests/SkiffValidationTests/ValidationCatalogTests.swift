import SkiffAPI
import SkiffValidation
import SkiffWire
import Testing

/// Every kind the apiserver serves has rules, a valid example passes them, and no object, however
/// empty, makes validation trap.
@Suite struct ValidationCatalogTests {
    static let kinds = ResourceCatalog.all.map(\.kind)

    @Test(arguments: kinds)
    func aValidObjectOfEveryServedKindPasses(_ kind: String) throws {
        let object = try #require(Fixtures.byKind[kind], "no example \(kind)")
        expectCreate(object, [])
        expectUpdate(object, from: object, [])
    }

    @Test(arguments: ResourceCatalog.all.map { ($0.kind, $0.namespaced) })
    func anEmptyObjectIsReportedNotTrappedOn(_ kind: String, _ namespaced: Bool) throws {
        let info = try #require(ResourceCatalog.all.first { $0.kind == kind })
        let empty = info.objectType.init()
        let errors = Validation.validateCreate(empty)
        #expect(errors.contains { $0.field == "metadata.name" && $0.kind == .required })
        #expect(errors.contains { $0.field == "metadata.namespace" && $0.kind == .required } == namespaced)
        _ = Validation.validateUpdate(empty, old: empty)
        _ = Validation.validateUpdate(empty, old: try #require(Fixtures.byKind[kind]))
    }

    @Test func aNamespacedObjectNeedsANamespaceAndAClusterObjectMayNotHaveOne() {
        expectCreate(with(Fixtures.configMap) { $0.metadata?.namespace = nil }, [.required("metadata.namespace")])
        expectCreate(with(Fixtures.node) { $0.metadata?.namespace = "default" }, [.forbidden("metadata.namespace")])
        expectCreate(with(Fixtures.clusterRole) { $0.metadata?.namespace = "default" }, [.forbidden("metadata.namespace")])
    }

    @Test func anUpdateMayNotChangeTheKind() {
        expectUpdate(Fixtures.configMap, from: Fixtures.secret, [.invalid("kind")])
    }

    @Test func everyProblemIsReportedNotOnlyTheFirst() {
        let pod = with(Fixtures.pod) {
            $0.metadata?.name = "Web_1"
            $0.spec?.containers[0].image = nil
            $0.spec?.restartPolicy = "Sometimes"
            $0.spec?.containers[0].ports[0].containerPort = 0
        }
        expectCreate(pod, [.invalid("metadata.name"), .required("spec.containers[0].image"),
                           .notSupported("spec.restartPolicy"), .required("spec.containers[0].ports[0].containerPort")])
    }
}
