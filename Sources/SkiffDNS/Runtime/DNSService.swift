/// DNSService: skiff-dns wired together. Informers on Services and Endpoints (all namespaces)
/// feed a rebuild loop: on any change, the zone is rebuilt from the caches (ZoneBuilder),
/// compiled (AnswerTable) and published to the servers; changes arriving during a rebuild
/// coalesce into one more. The UDP and TCP servers start once both caches have synced, so no
/// existing name is ever answered NXDOMAIN for want of a list. With a registration, the
/// instance then lists itself in kube-system/kube-dns and keeps itself there (re-checking
/// whenever that Service or its Endpoints change), and takes itself out on the way down.
///
/// Concurrency: `run()` once, until its task is cancelled; the servers' threads are stopped and
/// joined before it returns. Must never: serve before the first sync, or leave its address in
/// the kube-dns Endpoints after a graceful stop.
import Foundation
import Logging
import SkiffAPI
import SkiffClient
import SkiffWire

public struct DNSConfiguration: Sendable {
    public var listen: SocketAddress
    public var zone: ZoneSettings
    public var forward: SocketAddress?
    public var udpThreads: Int
    public var tcpIdleTimeout: Duration
    /// The cluster DNS Service IP and this instance's address, for self-registration.
    public var registration: (serviceIP: IPAddress, address: IPAddress)?

    public init(listen: SocketAddress, zone: ZoneSettings, forward: SocketAddress? = nil, udpThreads: Int = 2,
                tcpIdleTimeout: Duration = .seconds(10), registration: (serviceIP: IPAddress, address: IPAddress)? = nil) {
        self.listen = listen
        self.zone = zone
        self.forward = forward
        self.udpThreads = udpThreads
        self.tcpIdleTimeout = tcpIdleTimeout
        self.registration = registration
    }
}

public final class DNSService: Sendable {
    public let answers = PublishedAnswers()
    private let client: APIClient
    private let configuration: DNSConfiguration
    private let logger: Logger
    private let services: Informer<Service>
    private let endpoints: Informer<Endpoints>
    private let changes: AsyncStream<Void>
    private let changed: AsyncStream<Void>.Continuation
    private let registrationChanges: AsyncStream<Void>
    private let registrationChanged: AsyncStream<Void>.Continuation

    public init(client: APIClient, configuration: DNSConfiguration, logger: Logger = Logger(label: "skiff.dns")) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
        services = Informer(client.listerWatcher(Service.self), logger: logger)
        endpoints = Informer(client.listerWatcher(Endpoints.self), logger: logger)
        (changes, changed) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        (registrationChanges, registrationChanged) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        let changed = self.changed
        let registrationChanged = self.registrationChanged
        @Sendable func isKubeDNS(_ meta: ObjectMeta?) -> Bool {
            meta?.namespace == KubeDNSRegistration.namespace && meta?.name == KubeDNSRegistration.name
        }
        services.addEventHandler(
            onAdd: { service in changed.yield(); if isKubeDNS(service.metadata) { registrationChanged.yield() } },
            onUpdate: { _, service in changed.yield(); if isKubeDNS(service.metadata) { registrationChanged.yield() } },
            onDelete: { service in changed.yield(); if isKubeDNS(service.metadata) { registrationChanged.yield() } })
        endpoints.addEventHandler(
            onAdd: { item in changed.yield(); if isKubeDNS(item.metadata) { registrationChanged.yield() } },
            onUpdate: { _, item in changed.yield(); if isKubeDNS(item.metadata) { registrationChanged.yield() } },
            onDelete: { item in changed.yield(); if isKubeDNS(item.metadata) { registrationChanged.yield() } })
    }

    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try? await self.services.run() }
            group.addTask { try? await self.endpoints.run() }
            defer { group.cancelAll() }
            try await services.waitForSync()
            try await endpoints.waitForSync()
            var serial = UInt32(truncatingIfNeeded: Int(Date().timeIntervalSince1970))
            await rebuild(serial: serial)

            let servers = try startServers()
            logger.info("serving DNS", metadata: [
                "listen": "\(servers.udp.address)", "transports": "udp,tcp", "domain": "\(configuration.zone.clusterDomain)",
                "names": "\(answers.current.nameCount)", "forward": "\(configuration.forward.map { "\($0)" } ?? "none")",
            ])
            // The line tests and operators wait for, with the port actually bound.
            FileHandle.standardError.write(Data("skiff-dns listening on \(servers.udp.address)\n".utf8))
            defer {
                servers.forwarder?.stop()
                servers.udp.stop()
                servers.tcp.stop()
            }
            var registration: KubeDNSRegistration?
            if let wanted = configuration.registration {
                let registered = KubeDNSRegistration(serviceIP: wanted.serviceIP, address: wanted.address,
                                                     port: servers.udp.address.port)
                registration = registered
                group.addTask { await self.keepRegistered(registered) }
                registrationChanged.yield()
            }
            for await _ in changes {
                serial &+= 1
                await rebuild(serial: serial)
            }
            if let registration {
                // Outside the cancelled task, bounded by the client's call timeout.
                let client = self.client
                let logger = self.logger
                await Task.detached {
                    do { try await registration.remove(client, logger: logger) } catch {
                        logger.warning("could not remove this server from kube-dns endpoints", metadata: ["error": "\(error)"])
                    }
                }.value
            }
        }
    }

    /// Builds and compiles the zone on a queue of its own (a big zone takes a while of CPU,
    /// which must not occupy the cooperative pool), then publishes it.
    private func rebuild(serial: UInt32) async {
        let services = services.indexer.list()
        let endpoints = endpoints.indexer.list()
        let settings = configuration.zone
        let started = ContinuousClock.now
        let table = await withCheckedContinuation { continuation in
            Self.compiler.async {
                let snapshot = ZoneBuilder.build(services: services, endpoints: endpoints, settings: settings, serial: serial)
                continuation.resume(returning: AnswerTable(snapshot))
            }
        }
        answers.publish(table)
        logger.debug("zone rebuilt", metadata: [
            "names": "\(table.nameCount)", "serial": "\(serial)", "took": "\(ContinuousClock.now - started)"])
    }

    private static let compiler = DispatchQueue(label: "skiff-dns-zone-compiler")

    private struct Servers {
        var udp: UDPServer
        var tcp: TCPServer
        var forwarder: Forwarder?
    }

    /// Binds UDP, then TCP on the same port (with port 0, the one UDP got; retried if TCP
    /// finds it taken), then starts every thread.
    private func startServers() throws -> Servers {
        let forwarder = try configuration.forward.map { try Forwarder(upstream: $0) }
        let options = AnswerOptions(forwarding: forwarder != nil)
        var attempts = 0
        while true {
            attempts += 1
            let udp = try UDPServer(address: configuration.listen, threads: configuration.udpThreads, answers: answers,
                                    options: options, forwarder: forwarder)
            do {
                let tcp = try TCPServer(address: udp.address, answers: answers, options: options, forwarder: forwarder,
                                        idleTimeout: configuration.tcpIdleTimeout)
                forwarder?.start()
                udp.start()
                tcp.start()
                return Servers(udp: udp, tcp: tcp, forwarder: forwarder)
            } catch {
                udp.stop()
                if configuration.listen.port != 0 || attempts >= 10 { throw error }
            }
        }
    }

    /// Ensures the registration now and whenever kube-dns changes; retries failures with
    /// backoff until cancelled.
    private func keepRegistered(_ registration: KubeDNSRegistration) async {
        var failures = 0
        for await _ in registrationChanges {
            while !Task.isCancelled {
                do {
                    try await registration.ensure(client, logger: logger)
                    failures = 0
                    break
                } catch {
                    if Task.isCancelled { return }
                    let delay = ExponentialBackoffRateLimiter<Int>.delay(afterFailures: failures, base: .seconds(1), cap: .seconds(30))
                    failures += 1
                    logger.warning("could not register in kube-system/kube-dns; retrying", metadata: [
                        "error": "\(error)", "backoff": "\(delay)"])
                    try? await Task.sleep(for: delay)
                }
            }
        }
    }
}
