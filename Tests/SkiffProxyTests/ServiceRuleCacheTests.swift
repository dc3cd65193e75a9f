/// ServiceRuleCache: re-deriving only the services that changed must give what deriving every
/// service from scratch gives, through random adds, updates and deletes of Services and
/// Endpoints; a full pass catches changes nobody reported and drops services that are gone.
import SkiffAPI
import SkiffClient
import SkiffProxy
import SkiffWire
import Testing

@Suite("ServiceRuleCache: rules per service, derived again only when their objects change")
struct ServiceRuleCacheTests {
    let range = IPv4Range("10.96.0.0/16")!

    /// Two caches as the informers hold them, with a revision counter as the API's.
    struct World {
        let services = Indexer<Service>()
        let endpoints = Indexer<Endpoints>()
        var revision = 0

        mutating func put(_ service: Service) {
            var service = service
            revision += 1
            service.metadata?.resourceVersion = "\(revision)"
            services.upsert(service)
        }

        mutating func put(_ endpoints: Endpoints) {
            var endpoints = endpoints
            revision += 1
            endpoints.metadata?.resourceVersion = "\(revision)"
            self.endpoints.upsert(endpoints)
        }

        func fromScratch(_ range: IPv4Range) -> [ServicePortRule] {
            ServiceRules.build(services: services.list(), endpoints: endpoints.list(), serviceCIDR: range)
        }
    }

    static func name(_ index: Int) -> String { "svc-\(index)" }

    /// One random API change; returns the key it touched.
    static func randomChange(_ world: inout World, using random: inout SeededRandom) -> ObjectKey {
        let index = Int.random(in: 0..<30, using: &random)
        let key = ObjectKey(namespace: "default", name: name(index))
        let ips = (0..<Int.random(in: 0...3, using: &random)).map { _ in "10.244.1.\(Int.random(in: 2...20, using: &random))" }
        switch Int.random(in: 0..<10, using: &random) {
        case 0..<3:
            let type = Bool.random(using: &random) ? "NodePort" : nil
            world.put(Fixtures.service(name(index), clusterIP: "10.96.3.\(index + 1)", type: type,
                                       ports: [Fixtures.port(nil, 80, nodePort: 30000 + Int32(index))],
                                       affinity: Bool.random(using: &random) ? "ClientIP" : nil))
        case 3..<7:
            world.put(Fixtures.endpoints(name(index), ready: ips, notReady: ["10.244.2.9"]))
        case 7:
            world.services.delete(key)
        case 8:
            world.endpoints.delete(key)
        default:
            // A headless service, or one outside the service range: no rules.
            world.put(Fixtures.service(name(index), clusterIP: Bool.random(using: &random) ? "None" : "10.97.0.\(index + 1)"))
        }
        return key
    }

    @Test("refreshing the changed keys keeps the rules equal to a derivation from scratch")
    func incrementalEqualsScratch() {
        var random = SeededRandom(seed: 3)
        var world = World()
        var cache = ServiceRuleCache(serviceCIDR: range)
        cache.refreshAll(services: world.services, endpoints: world.endpoints)
        #expect(cache.rules.isEmpty)
        for step in 0..<500 {
            var changed: Set<ObjectKey> = []
            for _ in 0..<Int.random(in: 1...3, using: &random) { changed.insert(Self.randomChange(&world, using: &random)) }
            for key in changed {
                cache.refresh(key, service: world.services.get(key), endpoints: world.endpoints.get(key))
            }
            #expect(cache.rules.sorted() == world.fromScratch(range), "step \(step)")
            #expect(cache.keys == Set(world.services.keys()), "step \(step)")
        }
    }

    @Test("a full pass catches changes that were never reported, and drops services that are gone")
    func fullPass() {
        var random = SeededRandom(seed: 5)
        var world = World()
        var cache = ServiceRuleCache(serviceCIDR: range)
        for _ in 0..<60 { _ = Self.randomChange(&world, using: &random) }
        cache.refreshAll(services: world.services, endpoints: world.endpoints)
        #expect(cache.rules.sorted() == world.fromScratch(range))
        for _ in 0..<40 { _ = Self.randomChange(&world, using: &random) }
        world.services.delete(ObjectKey(namespace: "default", name: Self.name(4)))
        cache.refreshAll(services: world.services, endpoints: world.endpoints)
        #expect(cache.rules.sorted() == world.fromScratch(range))
        #expect(!cache.keys.contains(ObjectKey(namespace: "default", name: Self.name(4))))
    }

    @Test("objects whose resourceVersions did not move are not derived again")
    func unchangedVersionsAreKept() {
        var world = World()
        var cache = ServiceRuleCache(serviceCIDR: range)
        world.put(Fixtures.service("web"))
        world.put(Fixtures.endpoints("web", ready: ["10.244.1.2"]))
        cache.refreshAll(services: world.services, endpoints: world.endpoints)
        #expect(cache.rules == [Fixtures.rule("web", backends: ["10.244.1.2:8080"])])
        // Same version, other content: only a new version (a real API write) is news.
        var endpoints = world.endpoints.get("default/web")!
        endpoints.subsets[0].addresses = [EndpointAddress(ip: "10.244.1.3")]
        world.endpoints.upsert(endpoints)
        cache.refreshAll(services: world.services, endpoints: world.endpoints)
        #expect(cache.rules == [Fixtures.rule("web", backends: ["10.244.1.2:8080"])])
        world.put(endpoints)
        cache.refreshAll(services: world.services, endpoints: world.endpoints)
        #expect(cache.rules == [Fixtures.rule("web", backends: ["10.244.1.3:8080"])])
    }
}
