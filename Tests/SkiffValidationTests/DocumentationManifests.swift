/// Manifests from the Kubernetes documentation's examples, as users write them (no defaults;
/// some extended to reach more defaults and checks), for both the defaulting and the
/// validation tests. Kept in Swift so the test target needs no resources.
enum DocumentationManifests {
    /// docs: "Configure Liveness, Readiness and Startup Probes", "Expose Pod Information to
    /// Containers Through Environment Variables", "Init Containers" and "Volumes", in one pod.
    static let pod = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: liveness-http
          labels:
            test: liveness
        spec:
          initContainers:
          - name: init-myservice
            image: busybox
            command: ['sh', '-c', "until nslookup myservice; do echo waiting for myservice; sleep 2; done"]
          containers:
          - name: liveness
            image: registry.k8s.io/e2e-test-images/agnhost:2.40
            args:
            - liveness
            ports:
            - containerPort: 8080
              name: http
            - containerPort: 5353
              protocol: UDP
            env:
            - name: MY_NODE_NAME
              valueFrom:
                fieldRef:
                  fieldPath: spec.nodeName
            - name: MY_POD_NAMESPACE
              valueFrom:
                fieldRef:
                  apiVersion: v1
                  fieldPath: metadata.namespace
            resources:
              limits:
                cpu: 500m
                memory: 128Mi
              requests:
                cpu: 250m
            livenessProbe:
              httpGet:
                path: /healthz
                port: 8080
                httpHeaders:
                - name: Custom-Header
                  value: Awesome
              initialDelaySeconds: 3
              periodSeconds: 3
            readinessProbe:
              tcpSocket:
                port: 8080
            lifecycle:
              preStop:
                httpGet:
                  port: http
            volumeMounts:
            - name: config
              mountPath: /etc/config
          - name: pinned
            image: localhost:5000/app@sha256:4b3b3a3b3c3d3e3f4b3b3a3b3c3d3e3f4b3b3a3b3c3d3e3f4b3b3a3b3c3d3e3f
            terminationMessagePolicy: FallbackToLogsOnError
          - name: latest
            image: localhost:5000/app:latest
            imagePullPolicy: Never
          volumes:
          - name: config
            configMap:
              name: game-config
          - name: secret
            secret:
              secretName: mysecret
              defaultMode: 256
          - name: host
            hostPath:
              path: /data
          - name: podinfo
            downwardAPI:
              items:
              - path: labels
                fieldRef:
                  fieldPath: metadata.labels
          - name: all-in-one
            projected:
              sources:
              - serviceAccountToken:
                  path: token
              - downwardAPI:
                  items:
                  - path: name
                    fieldRef:
                      fieldPath: metadata.name
          - name: scratch
            ephemeral:
              volumeClaimTemplate:
                spec:
                  accessModes: [ReadWriteOnce]
                  resources:
                    requests:
                      storage: 1Gi
        """

    /// docs: "Deployments", with probes, resources and volumes as in the concepts pages.
    static let deployment = """
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

    /// docs: "ReplicaSet".
    static let replicaSet = """
        apiVersion: apps/v1
        kind: ReplicaSet
        metadata:
          name: frontend
          labels:
            app: guestbook
            tier: frontend
        spec:
          selector:
            matchLabels:
              tier: frontend
          template:
            metadata:
              labels:
                tier: frontend
            spec:
              containers:
              - name: php-redis
                image: us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v5
        """

    /// docs: "ReplicationController" (without the selector, which defaults to the labels).
    static let replicationController = """
        apiVersion: v1
        kind: ReplicationController
        metadata:
          name: nginx
        spec:
          replicas: 3
          template:
            metadata:
              name: nginx
              labels:
                app: nginx
            spec:
              containers:
              - name: nginx
                image: nginx
                ports:
                - containerPort: 80
        """

    /// docs: "DaemonSet".
    static let daemonSet = """
        apiVersion: apps/v1
        kind: DaemonSet
        metadata:
          name: fluentd-elasticsearch
          namespace: kube-system
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

    /// docs: "StatefulSets".
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

    /// docs: "Jobs".
    static let job = """
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: pi
        spec:
          template:
            metadata:
              labels:
                app: pi
            spec:
              containers:
              - name: pi
                image: perl:5.34.0
                command: ["perl",  "-Mbignum=bpi", "-wle", "print bpi(2000)"]
              restartPolicy: Never
          backoffLimit: 4
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
                    command:
                    - /bin/sh
                    - -c
                    - date; echo Hello from the Kubernetes cluster
                  restartPolicy: OnFailure
        """

    /// docs: "HorizontalPodAutoscaler Walkthrough", with a partial scale-down behavior.
    static let horizontalPodAutoscaler = """
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata:
          name: php-apache
        spec:
          scaleTargetRef:
            apiVersion: apps/v1
            kind: Deployment
            name: php-apache
          maxReplicas: 10
          behavior:
            scaleDown:
              policies:
              - type: Pods
                value: 4
                periodSeconds: 60
        """

    /// docs: "Service", one port without a protocol or a target port.
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
              port: 80
            - name: https
              protocol: TCP
              port: 443
              targetPort: 9377
        """

    static let loadBalancer = """
        apiVersion: v1
        kind: Service
        metadata:
          name: my-lb
        spec:
          type: LoadBalancer
          sessionAffinity: ClientIP
          selector:
            app.kubernetes.io/name: MyApp
          ports:
            - port: 80
              targetPort: http
        """

    /// docs: "Persistent Volumes".
    static let persistentVolume = """
        apiVersion: v1
        kind: PersistentVolume
        metadata:
          name: pv0003
        spec:
          capacity:
            storage: 5Gi
          accessModes:
            - ReadWriteOnce
          storageClassName: slow
          mountOptions:
            - hard
            - nfsvers=4.1
          nfs:
            path: /tmp
            server: 172.17.0.2
        """

    static let persistentVolumeClaim = """
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata:
          name: myclaim
        spec:
          accessModes:
            - ReadWriteOnce
          resources:
            requests:
              storage: 8Gi
          storageClassName: slow
        """

    static let secret = """
        apiVersion: v1
        kind: Secret
        metadata:
          name: dotfile-secret
        data:
          .secret-file: dmFsdWUtMg0KDQo=
        """

    static let namespace = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: development
          labels:
            name: development
        """

    static let storageClass = """
        apiVersion: storage.k8s.io/v1
        kind: StorageClass
        metadata:
          name: standard
        provisioner: kubernetes.io/no-provisioner
        """

    /// docs: "Using RBAC Authorization".
    static let roleBinding = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata:
          name: read-pods
          namespace: default
        subjects:
        - kind: User
          name: jane
        - kind: ServiceAccount
          name: default
          namespace: kube-system
        roleRef:
          kind: Role
          name: pod-reader
        """

    static let podTemplate = """
        apiVersion: v1
        kind: PodTemplate
        metadata:
          name: worker
        template:
          metadata:
            labels:
              app: worker
          spec:
            containers:
            - name: worker
              image: busybox:1.36
        """
}
