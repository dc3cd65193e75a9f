/// JobPods: the pod a Job creates: its template with the tracking finalizer, and for an
/// Indexed job the completion index as annotation and label, JOB_COMPLETION_INDEX in every
/// container (from that annotation through the downward API), hostname NAME-INDEX and the
/// name prefix NAME-INDEX-, as Kubernetes makes them.
///
/// Concurrency: pure. Must never: give two indexes one pod.
import SkiffWire

public enum JobPods {
    public static let indexEnvironmentVariable = "JOB_COMPLETION_INDEX"

    public static func pod(for job: Job, index: Int?, ref: OwnerReference) -> Pod {
        let name = job.metadata?.name ?? ""
        var template = job.spec?.template ?? PodTemplateSpec()
        var generateName = PodTemplates.generateNamePrefix(name)
        if let index {
            var meta = template.metadata ?? ObjectMeta()
            meta.annotations[CompletionIndexes.annotation] = String(index)
            meta.labels[CompletionIndexes.annotation] = String(index)
            template.metadata = meta
            var spec = template.spec ?? PodSpec()
            spec.hostname = "\(name)-\(index)"
            let variable = EnvVar(name: indexEnvironmentVariable, valueFrom: EnvVarSource(
                fieldRef: ObjectFieldSelector(fieldPath: "metadata.annotations['\(CompletionIndexes.annotation)']")))
            for container in spec.containers.indices where !spec.containers[container].env.contains(where: { $0.name == indexEnvironmentVariable }) {
                spec.containers[container].env.append(variable)
            }
            for container in spec.initContainers.indices where !spec.initContainers[container].env.contains(where: { $0.name == indexEnvironmentVariable }) {
                spec.initContainers[container].env.append(variable)
            }
            template.spec = spec
            generateName = PodTemplates.generateNamePrefix("\(name)-\(index)")
        }
        var pod = PodTemplates.pod(from: template, namespace: job.metadata?.namespace ?? "", owner: ref,
                                   generateName: generateName)
        if pod.metadata?.finalizers.contains(JobDecision.trackingFinalizer) == false {
            pod.metadata?.finalizers.append(JobDecision.trackingFinalizer)
        }
        return pod
    }
}
