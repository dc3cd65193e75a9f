/// `rollout status|history|undo|pause|resume|restart`: kubectl's rollout commands for
/// Deployments. status waits on the Deployment's status as kubectl's status viewer reads it;
/// history and undo read the Deployment's ReplicaSets by their revision annotation; undo writes
/// the chosen revision's template back into the Deployment (the controller then gives that
/// ReplicaSet the next revision), as kubectl does since rollbackTo was removed.
///
/// Concurrency: one object at a time. Must never: change a Deployment but through a write guarded
/// by the resourceVersion it read (undo), or a merge patch of the one field the command is about.
import ArgumentParser
import Foundation
import SkiffAPI
import SkiffWire

public struct RolloutCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "rollout", abstract: "Manage the rollout of a deployment.",
        subcommands: [RolloutStatusCommand.self, RolloutHistoryCommand.self, RolloutUndoCommand.self,
                      RolloutPauseCommand.self, RolloutResumeCommand.self, RolloutRestartCommand.self])
    public init() {}
}

/// What the rollout commands share: the deployments named, and their ReplicaSets by revision.
enum Rollout {
    static let revisionAnnotation = "deployment.kubernetes.io/revision"
    static let hashLabel = "pod-template-hash"
    /// Annotations an undo leaves as the Deployment has them (kubectl's annotationsToSkip).
    static let keptAnnotations: Set<String> = ["kubectl.kubernetes.io/last-applied-configuration", revisionAnnotation,
                                               "deployment.kubernetes.io/revision-history",
                                               "deployment.kubernetes.io/desired-replicas",
                                               "deployment.kubernetes.io/max-replicas", "deprecated.deployment.rollback.to"]

    /// The deployments named by TYPE NAME or TYPE/NAME; `what` words the refusal of other kinds
    /// ("no status viewer has been implemented for ...").
    static func deployments(_ arguments: [String], refusing what: (ResourceInfo, String) -> String) throws
        -> [(ResourceInfo, String)] {
        let targets = try namedObjects(arguments)
        for (resource, name) in targets where resource.kind != Deployment.kind {
            throw CtlError(what(resource, name))
        }
        return targets
    }

    static func deployment(_ resource: ResourceInfo, _ name: String, in session: Session) async throws -> Deployment {
        let object = try await session.client.get(resource, name: name, namespace: session.namespace)
        guard let deployment = object as? Deployment else { throw CtlError("\(resource.quotedName(name)) is not a Deployment") }
        return deployment
    }

    /// The ReplicaSets the deployment controls, by revision (those without one left out).
    static func revisions(of deployment: Deployment, in session: Session) async throws -> [Int64: ReplicaSet] {
        let replicaSets = try ResourceArguments.resolve("replicasets")
        let listing = try await session.client.list(replicaSets, namespace: session.namespace, labelSelector: nil,
                                                    fieldSelector: nil)
        var byRevision: [Int64: ReplicaSet] = [:]
        for case let rs as ReplicaSet in listing.items {
            guard let uid = deployment.metadata?.uid,
                  rs.metadata?.ownerReferences.contains(where: { $0.controller == true && $0.uid == uid }) == true,
                  let revision = Int64(rs.metadata?.annotations[revisionAnnotation] ?? "") else { continue }
            byRevision[revision] = rs
        }
        return byRevision
    }

    static func withoutHash(_ template: PodTemplateSpec?) -> PodTemplateSpec {
        var template = template ?? PodTemplateSpec()
        var meta = template.metadata ?? ObjectMeta()
        meta.labels.removeValue(forKey: hashLabel)
        template.metadata = meta
        return template
    }

    /// kubectl's status viewer: the line to print, and whether the rollout is done. Throws when
    /// the deployment exceeded its progress deadline.
    static func status(of deployment: Deployment) throws -> (message: String, done: Bool) {
        let name = deployment.metadata?.name ?? ""
        let status = deployment.status ?? DeploymentStatus()
        guard (deployment.metadata?.generation ?? 0) <= (status.observedGeneration ?? 0) else {
            return ("Waiting for deployment spec update to be observed...", false)
        }
        if status.conditions.contains(where: { $0.type == "Progressing" && $0.reason == "ProgressDeadlineExceeded" }) {
            throw CtlError("deployment \"\(name)\" exceeded its progress deadline")
        }
        let replicas = deployment.spec?.replicas ?? 1
        let updated = status.updatedReplicas ?? 0, total = status.replicas ?? 0, available = status.availableReplicas ?? 0
        if updated < replicas {
            return ("Waiting for deployment \"\(name)\" rollout to finish: \(updated) out of \(replicas) new replicas have been updated...", false)
        }
        if total > updated {
            return ("Waiting for deployment \"\(name)\" rollout to finish: \(total - updated) old replicas are pending termination...", false)
        }
        if available < updated {
            return ("Waiting for deployment \"\(name)\" rollout to finish: \(available) of \(updated) updated replicas are available...", false)
        }
        return ("deployment \"\(name)\" successfully rolled out", true)
    }

    /// The lines `rollout history --revision N` prints for a pod template.
    static func describe(_ template: PodTemplateSpec?) -> [String] {
        var lines = ["Pod Template:"]
        func pairs(_ title: String, _ map: [String: String]) {
            let sorted = map.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            lines.append("  \(title):\t" + (sorted.first ?? "<none>"))
            for more in sorted.dropFirst() { lines.append("\t\(more)") }
        }
        pairs("Labels", template?.metadata?.labels ?? [:])
        if let annotations = template?.metadata?.annotations, !annotations.isEmpty { pairs("Annotations", annotations) }
        lines.append("  Containers:")
        for container in template?.spec?.containers ?? [] {
            lines.append("   \(container.name ?? ""):")
            lines.append("    Image:\t\(container.image ?? "")")
            if !container.command.isEmpty { lines.append("    Command:\t\(container.command.joined(separator: " "))") }
            if !container.args.isEmpty { lines.append("    Args:\t\(container.args.joined(separator: " "))") }
        }
        return lines
    }
}

public struct RolloutStatusCommand: SessionCommand {
    public static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Watch a deployment's rollout until it finishes.")

    @OptionGroup public var global: GlobalOptions
    @Argument(help: "deployment/NAME or deployment NAME")
    public var arguments: [String] = []
    @Option(help: "How long to wait (e.g. 30s, 5m); 0 waits forever.")
    public var timeout: String = "0s"
    @Option(name: [.short, .customLong("watch")], help: "Watch until the rollout finishes (false: report once).")
    public var watch: Bool = true

    public init() {}

    public func perform(in session: Session) async throws {
        let limit = try parseDuration(timeout)
        let targets = try Rollout.deployments(arguments) { resource, _ in
            "no status viewer has been implemented for \(resource.kind)"
        }
        for (resource, name) in targets {
            let watching = watch
            try await withDeadline(limit, failure: "timed out waiting for the condition") {
                try await Self.follow(resource, name, watching: watching, in: session)
            }
        }
    }

    /// Prints each new status line until the rollout is done (or once, without watching).
    static func follow(_ resource: ResourceInfo, _ name: String, watching: Bool, in session: Session) async throws {
        var last = ""
        while true {
            var deployment = try await Rollout.deployment(resource, name, in: session)
            let changes = session.client.watch(resource, namespace: session.namespace, labelSelector: nil,
                                               fieldSelector: "metadata.name=\(name)",
                                               after: deployment.metadata?.resourceVersion ?? "")
            do {
                while true {
                    let (message, done) = try Rollout.status(of: deployment)
                    if message != last { session.output.write(line: message) }
                    last = message
                    if done || !watching { return }
                    var next: Deployment?
                    for try await change in changes where change.object.metadata?.name == name {
                        if change.kind == .deleted { throw CtlError("object has been deleted") }
                        if let changed = change.object as? Deployment { next = changed }
                        break
                    }
                    guard let next else { break }
                    deployment = next
                }
            } catch let error as APIError where error.reason == .expired {
                // A watch too old to resume: read the deployment again.
            }
        }
    }
}

public struct RolloutHistoryCommand: SessionCommand {
    public static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Show a deployment's revisions.")

    @OptionGroup public var global: GlobalOptions
    @Argument(help: "deployment/NAME or deployment NAME")
    public var arguments: [String] = []
    @Option(help: "Show the pod template of this revision.")
    public var revision: Int64 = 0

    public init() {}

    public func perform(in session: Session) async throws {
        guard revision >= 0 else { throw CtlError("revision must be a positive integer: \(revision)") }
        let targets = try Rollout.deployments(arguments) { resource, _ in
            "no history viewer has been implemented for \"\(resource.kind)\""
        }
        for (resource, name) in targets {
            let deployment = try await Rollout.deployment(resource, name, in: session)
            let history = try await Rollout.revisions(of: deployment, in: session)
            if revision > 0 {
                guard let rs = history[revision] else { throw CtlError("unable to find the specified revision") }
                session.output.write(line: "\(resource.slashName(name)) with revision #\(revision)")
                session.output.write(lines: Rollout.describe(rs.spec?.template))
                continue
            }
            guard !history.isEmpty else {
                session.output.write(line: "No rollout history found.")
                continue
            }
            session.output.write(line: resource.slashName(name))
            session.output.write(line: "REVISION  CHANGE-CAUSE")
            for (number, rs) in history.sorted(by: { $0.key < $1.key }) {
                let cause = rs.metadata?.annotations["kubernetes.io/change-cause"] ?? "<none>"
                session.output.write(line: String(number).padding(toLength: 10, withPad: " ", startingAt: 0) + cause)
            }
        }
    }
}

public struct RolloutUndoCommand: SessionCommand {
    public static let configuration = CommandConfiguration(
        commandName: "undo", abstract: "Roll a deployment back to its previous (or a given) revision.")

    @OptionGroup public var global: GlobalOptions
    @Argument(help: "deployment/NAME or deployment NAME")
    public var arguments: [String] = []
    @Option(name: .customLong("to-revision"), help: "The revision to roll back to (default: the previous one).")
    public var toRevision: Int64 = 0

    public init() {}

    public func perform(in session: Session) async throws {
        guard toRevision >= 0 else { throw CtlError("revision must be a positive integer: \(toRevision)") }
        let targets = try Rollout.deployments(arguments) { resource, name in
            "no rollbacker has been implemented for \"\(resource.kind)\""
        }
        for (resource, name) in targets {
            // The controller writes the Deployment's status all along; kubectl's undo is a patch
            // that cannot conflict, ours an update guarded by resourceVersion: read and retry.
            var attempts = 0
            while true {
                do {
                    try await rollBack(resource, name, in: session)
                    break
                } catch let error as APIError where error.reason == .conflict && attempts < 5 {
                    attempts += 1
                }
            }
        }
    }

    private func rollBack(_ resource: ResourceInfo, _ name: String, in session: Session) async throws {
        var deployment = try await Rollout.deployment(resource, name, in: session)
        if deployment.spec?.paused == true {
            throw CtlError("you cannot rollback a paused deployment; resume it first with 'skiffctl rollout resume \(resource.slashName(name))' and try again")
        }
        let history = try await Rollout.revisions(of: deployment, in: session)
        let target: (Int64, ReplicaSet)
        if toRevision > 0 {
            guard let rs = history[toRevision] else {
                throw CtlError("unable to find specified revision \(toRevision) in history")
            }
            target = (toRevision, rs)
        } else {
            let sorted = history.sorted { $0.key > $1.key }
            guard sorted.count >= 2 else { throw CtlError("no rollout history found for deployment \"\(name)\"") }
            target = (sorted[1].key, sorted[1].value)
        }
        let template = Rollout.withoutHash(target.1.spec?.template)
        if template == Rollout.withoutHash(deployment.spec?.template) {
            session.output.write(line: "\(resource.slashName(name)) skipped rollback (current template already matches revision \(target.0))")
            return
        }
        var annotations: [String: String] = [:]
        for (key, value) in deployment.metadata?.annotations ?? [:] where Rollout.keptAnnotations.contains(key) {
            annotations[key] = value
        }
        for (key, value) in target.1.metadata?.annotations ?? [:] where !Rollout.keptAnnotations.contains(key) {
            annotations[key] = value
        }
        deployment.spec?.template = template
        deployment.metadata?.annotations = annotations
        _ = try await session.client.update(resource, deployment)
        session.output.write(line: "\(resource.slashName(name)) rolled back")
    }
}

/// pause, resume and restart: one merge patch each, refused when it would change nothing.
struct RolloutPatch {
    enum Action { case pause, resume, restart }
    var action: Action
    var arguments: [String]

    func perform(in session: Session) async throws {
        let verb: String
        switch action {
        case .pause: verb = "pausing"
        case .resume: verb = "resuming"
        case .restart: verb = "restarting"
        }
        let targets = try Rollout.deployments(arguments) { resource, name in
            "\(resource.groupResource) \"\(name)\" \(verb) is not supported"
        }
        var failed = false
        for (resource, name) in targets {
            do {
                let deployment = try await Rollout.deployment(resource, name, in: session)
                let paused = deployment.spec?.paused == true
                let patch: String, done: String
                switch action {
                case .pause:
                    guard !paused else { throw CtlError("\(resource.groupResource) \"\(name)\" is already paused") }
                    (patch, done) = (#"{"spec":{"paused":true}}"#, "paused")
                case .resume:
                    guard paused else { throw CtlError("\(resource.groupResource) \"\(name)\" is not paused") }
                    (patch, done) = (#"{"spec":{"paused":false}}"#, "resumed")
                case .restart:
                    guard !paused else {
                        throw CtlError("\(resource.groupResource) \"\(name)\" can't restart paused deployment (run rollout resume first)")
                    }
                    let now = Time(session.now()).description
                    patch = #"{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"\#(now)"}}}}}"#
                    done = "restarted"
                }
                _ = try await session.client.patch(resource, name: name, namespace: session.namespace, mergePatch: Array(patch.utf8))
                session.output.write(line: "\(resource.slashName(name)) \(done)")
            } catch {
                session.report(error)
                failed = true
            }
        }
        if failed { throw ExitCode.failure }
    }
}

public struct RolloutPauseCommand: SessionCommand {
    public static let configuration = CommandConfiguration(
        commandName: "pause", abstract: "Pause a deployment: template changes wait until it is resumed.")
    @OptionGroup public var global: GlobalOptions
    @Argument(help: "deployment/NAME or deployment NAME")
    public var arguments: [String] = []
    public init() {}
    public func perform(in session: Session) async throws {
        try await RolloutPatch(action: .pause, arguments: arguments).perform(in: session)
    }
}

public struct RolloutResumeCommand: SessionCommand {
    public static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "Resume a paused deployment.")
    @OptionGroup public var global: GlobalOptions
    @Argument(help: "deployment/NAME or deployment NAME")
    public var arguments: [String] = []
    public init() {}
    public func perform(in session: Session) async throws {
        try await RolloutPatch(action: .resume, arguments: arguments).perform(in: session)
    }
}

public struct RolloutRestartCommand: SessionCommand {
    public static let configuration = CommandConfiguration(
        commandName: "restart", abstract: "Restart a deployment's pods with a new rollout.")
    @OptionGroup public var global: GlobalOptions
    @Argument(help: "deployment/NAME or deployment NAME")
    public var arguments: [String] = []
    public init() {}
    public func perform(in session: Session) async throws {
        try await RolloutPatch(action: .restart, arguments: arguments).perform(in: session)
    }
}
