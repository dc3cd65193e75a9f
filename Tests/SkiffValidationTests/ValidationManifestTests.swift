import SkiffAPI
import SkiffValidation
import SkiffWire
import Testing
import Yams

/// The documentation's manifests as they reach validation through the apiserver.
extension Fixtures {
    /// The apiserver's path for a manifest: decode, set the namespace from the request, default.
    static func admitted<Object: APIObject>(_ type: Object.Type, _ yaml: String, namespace: String? = "default") throws -> Object {
        var object = try YAMLDecoder().decode(Object.self, from: yaml)
        if let namespace { object.metadata?.namespace = namespace }
        Defaulting.apply(to: &object)
        return object
    }

    /// The documentation's nginx Deployment as validation sees it: defaulted, namespaced, with
    /// system metadata.
    static var deployment: Deployment {
        // A test-only fixture: the manifest is known to decode.
        var deployment = try! admitted(Deployment.self, DocumentationManifests.deployment)
        deployment.metadata?.uid = "0f2f1c8e-5f0a-4a39-9b1d-3b7c1e2d4f60"
        deployment.metadata?.generation = 1
        return deployment
    }
}

/// Documentation manifests pass validation once defaulted, as they pass a Kubernetes apiserver.
@Suite struct ValidationManifestTests {
    @Test func theDocumentationDeploymentIsValid() throws {
        expectCreate(try Fixtures.admitted(Deployment.self, DocumentationManifests.deployment), [])
    }

    @Test func theDocumentationServicesAreValid() throws {
        // Between them: a port with neither protocol nor target port, and a named target port.
        for manifest in [DocumentationManifests.service, DocumentationManifests.loadBalancer] {
            expectCreate(try Fixtures.admitted(Service.self, manifest), [])
        }
    }

    @Test func theDocumentationJobIsValid() throws {
        expectCreate(try Fixtures.admitted(Job.self, DocumentationManifests.job), [])
    }

    @Test func theDocumentationCronJobIsValid() throws {
        expectCreate(try Fixtures.admitted(CronJob.self, DocumentationManifests.cronJob), [])
    }

    @Test func theDocumentationStatefulSetIsValid() throws {
        expectCreate(try Fixtures.admitted(StatefulSet.self, DocumentationManifests.statefulSet), [])
    }

    @Test func theDocumentationDaemonSetIsValid() throws {
        expectCreate(try Fixtures.admitted(DaemonSet.self, DocumentationManifests.daemonSet), [])
    }

    @Test func aManifestStillMissingItsDefaultsIsReportedFieldByField() throws {
        // Without defaulting: the fields Kubernetes requires after its defaulters ran.
        var deployment = try YAMLDecoder().decode(Deployment.self, from: DocumentationManifests.deployment)
        deployment.metadata?.namespace = "default"
        let spec = "spec.template.spec"
        expectCreate(deployment, [
            .notSupported("spec.strategy"),
            .required("\(spec).containers[0].imagePullPolicy"),
            .required("\(spec).containers[0].ports[0].protocol"),
            .required("\(spec).containers[0].terminationMessagePolicy"),
            .required("\(spec).dnsPolicy"),
            .required("\(spec).restartPolicy"),
            .required("\(spec).terminationGracePeriodSeconds"),
        ])
    }
}
