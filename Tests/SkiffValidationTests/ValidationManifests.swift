import SkiffAPI
import SkiffValidation
import SkiffWire
import Testing
import Yams

/// Manifests from the Kubernetes documentation, as users write them (no defaults). Kept in
/// Swift so the test target needs no resources.
enum ValidationManifests {
    /// docs: "Deployments", with probes, resources and volumes as in the concepts pages.
    static let nginxDeployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: nginx-deployment
          labels:
            app: nginx
        spec:
          replicas: 3
          selector:
            matchLabels:
              app: nginx
            matchExpressions:
            - key: tier
              operator: In
              values: [frontend, edge]
          template:
            metadata:
              labels:
                app: nginx
                tier: frontend
            spec:
              containers:
              - name: nginx
                image: nginx:1.14.2
                ports:
                - name: http
                  containerPort: 80
                env:
                - name: MY_POD_NAME
                  valueFrom:
                    fieldRef:
                      fieldPath: metadata.name
                resources:
                  requests:
                    cpu: 250m
                    memory: 64Mi
                  limits:
                    cpu: 500m
                    memory: 128Mi
                livenessProbe:
                  httpGet:
                    path: /healthz
                    port: http
                  initialDelaySeconds: 3
                readinessProbe:
                  tcpSocket:
                    port: 80
                volumeMounts:
                - name: cache-volume
                  mountPath: /cache
              volumes:
              - name: cache-volume
                emptyDir:
                  sizeLimit: 500Mi
        """

    /// docs: "Service" (a selector service with a named target port).
    static let service = """
        apiVersion: v1
        kind: Service
        metadata:
          name: my-service
        spec:
          selector:
            app.kubernetes.io/name: MyApp
          ports:
          - name: http
            protocol: TCP
            port: 80
            targetPort: http-web-svc
        """

    /// docs: "Jobs" (computing pi).
    static let job = """
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: pi
        spec:
          backoffLimit: 4
          template:
            spec:
              containers:
              - name: pi
                image: perl:5.34.0
                command: ["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"]
              restartPolicy: Never
        """

    /// docs: "CronJob".
    static let cronJob = """
        apiVersion: batch/v1
        kind: CronJob
        metadata:
          name: hello
        spec:
          schedule: "* * * * *"
          jobTemplate:
            spec:
              template:
                spec:
                  containers:
                  - name: hello
                    image: busybox:1.28
                    imagePullPolicy: IfNotPresent
                    command: [/bin/sh, -c, date; echo Hello from the Kubernetes cluster]
                  restartPolicy: OnFailure
        """

    /// docs: "StatefulSets" (web, with a claim template mounted by name).
    static let statefulSet = """
        apiVersion: apps/v1
        kind: StatefulSet
        metadata:
          name: web
        spec:
          selector:
            matchLabels:
              app: nginx
          serviceName: "nginx"
          replicas: 3
          minReadySeconds: 10
          template:
            metadata:
              labels:
                app: nginx
            spec:
              terminationGracePeriodSeconds: 10
              containers:
              - name: nginx
                image: registry.k8s.io/nginx-slim:0.24
                ports:
                - containerPort: 80
                  name: web
                volumeMounts:
                - name: www
                  mountPath: /usr/share/nginx/html
          volumeClaimTemplates:
          - metadata:
              name: www
            spec:
              accessModes: [ "ReadWriteOnce" ]
              storageClassName: "my-storage-class"
              resources:
                requests:
                  storage: 1Gi
        """

    /// docs: "DaemonSet" (fluentd, tolerating control-plane taints, with a hostPath volume).
    static let daemonSet = """
        apiVersion: apps/v1
        kind: DaemonSet
        metadata:
          name: fluentd-elasticsearch
          labels:
            k8s-app: fluentd-logging
        spec:
          selector:
            matchLabels:
              name: fluentd-elasticsearch
          template:
            metadata:
              labels:
                name: fluentd-elasticsearch
            spec:
              tolerations:
              - key: node-role.kubernetes.io/control-plane
                operator: Exists
                effect: NoSchedule
              containers:
              - name: fluentd-elasticsearch
                image: quay.io/fluentd_elasticsearch/fluentd:v2.5.2
                resources:
                  limits:
                    memory: 200Mi
                  requests:
                    cpu: 100m
                    memory: 200Mi
                volumeMounts:
                - name: varlog
                  mountPath: /var/log
              terminationGracePeriodSeconds: 30
              volumes:
              - name: varlog
                hostPath:
                  path: /var/log
        """

    /// The apiserver's path: decode, set the namespace from the request, default.
    static func admitted<Object: APIObject>(_ type: Object.Type, _ yaml: String, namespace: String? = "default") throws -> Object {
        var object = try YAMLDecoder().decode(Object.self, from: yaml)
        if let namespace { object.metadata?.namespace = namespace }
        Defaulting.apply(to: &object)
        return object
    }

    /// The nginx Deployment as validation sees it: defaulted, namespaced, with system metadata.
    static var deployment: Deployment {
        // A test-only fixture: the manifest above is known to decode.
        var deployment = try! admitted(Deployment.self, nginxDeployment)
        deployment.metadata?.uid = "0f2f1c8e-5f0a-4a39-9b1d-3b7c1e2d4f60"
        deployment.metadata?.generation = 1
        return deployment
    }
}

/// Documentation manifests pass validation once defaulted, as they pass a Kubernetes apiserver.
@Suite struct ValidationManifestTests {
    @Test func theDocumentationDeploymentIsValid() throws {
        expectCreate(try ValidationManifests.admitted(Deployment.self, ValidationManifests.nginxDeployment), [])
    }

    @Test func theDocumentationServiceIsValid() throws {
        expectCreate(try ValidationManifests.admitted(Service.self, ValidationManifests.service), [])
    }

    @Test func theDocumentationJobIsValid() throws {
        expectCreate(try ValidationManifests.admitted(Job.self, ValidationManifests.job), [])
    }

    @Test func theDocumentationCronJobIsValid() throws {
        expectCreate(try ValidationManifests.admitted(CronJob.self, ValidationManifests.cronJob), [])
    }

    @Test func theDocumentationStatefulSetIsValid() throws {
        expectCreate(try ValidationManifests.admitted(StatefulSet.self, ValidationManifests.statefulSet), [])
    }

    @Test func theDocumentationDaemonSetIsValid() throws {
        expectCreate(try ValidationManifests.admitted(DaemonSet.self, ValidationManifests.daemonSet), [])
    }

    @Test func aManifestStillMissingItsDefaultsIsReportedFieldByField() throws {
        // Without defaulting: the fields Kubernetes requires after its defaulters ran.
        var deployment = try YAMLDecoder().decode(Deployment.self, from: ValidationManifests.nginxDeployment)
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
