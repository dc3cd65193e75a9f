// BusEndpoint: URL parsing and validation, table-driven.
import Testing
@testable import SkiffBus

@Suite struct BusEndpointTests {
    @Test(arguments: [
        ("inproc://apiserver", BusEndpoint.Transport.inproc, "apiserver"),
        ("ipc:///run/skiff/apiserver.sock", .ipc, "/run/skiff/apiserver.sock"),
        ("ipc://relative.sock", .ipc, "relative.sock"),
        ("tcp://127.0.0.1:7000", .tcp, "127.0.0.1:7000"),
        ("tcp://*:7000", .tcp, "*:7000"),
        ("tcp://localhost:65535", .tcp, "localhost:65535"),
        ("tcp://[::1]:7000", .tcp, "[::1]:7000"),
    ])
    func validURLs(url: String, transport: BusEndpoint.Transport, address: String) throws {
        let endpoint = try BusEndpoint(url)
        #expect(endpoint.transport == transport)
        #expect(endpoint.address == address)
        #expect(endpoint.url == url)
    }

    @Test(arguments: [
        ("127.0.0.1:7000", "not a bus URL"),
        ("ws://127.0.0.1:7000", "unsupported transport 'ws'"),
        ("http://example", "unsupported transport 'http'"),
        ("inproc://", "empty address"),
        ("ipc://", "empty address"),
        ("ipc:///" + String(repeating: "x", count: 110), "longer than"),
        ("tcp://127.0.0.1", "expected tcp://HOST:PORT"),
        ("tcp://127.0.0.1:0", "port must be"),
        ("tcp://127.0.0.1:70000", "port must be"),
        ("tcp://127.0.0.1:http", "port must be"),
        ("tcp://:7000", "missing host"),
        ("tcp://eth0;127.0.0.1:7000", "interface-qualified"),
        ("tcp://a b:7000", "not a host name"),
        ("tcp://::1:7000", "not a host name"),
        ("tcp://[::1:7000", "malformed IPv6"),
    ])
    func invalidURLs(url: String, reason: String) {
        #expect {
            try BusEndpoint(url)
        } throws: { error in
            guard let error = error as? BusError else { return false }
            return error.code == .invalidEndpoint && error.message.contains(reason)
        }
    }

    @Test func ipcPathAtTheLimit() throws {
        let path = "/" + String(repeating: "p", count: BusEndpoint.maxIPCPathLength - 1)
        #expect(try BusEndpoint.ipc(path).address == path)
        #expect(throws: BusError.self) { try BusEndpoint.ipc(path + "p") }
    }

    @Test(arguments: [
        ("tcp://*:7000", nil, "tcp://127.0.0.1:7000"),
        ("tcp://0.0.0.0:7000", nil, "tcp://127.0.0.1:7000"),
        ("tcp://[::]:7000", nil, "tcp://[::1]:7000"),
        ("tcp://10.1.2.3:7000", nil, "tcp://10.1.2.3:7000"),
        ("ipc://a.sock", "/run/skiff", "ipc:///run/skiff/a.sock"),
        ("ipc:///abs.sock", "/run", "ipc:///abs.sock"),
        ("inproc://x", nil, "inproc://x"),
    ] as [(String, String?, String)])
    func advertisedIsConnectable(url: String, currentDirectory: String?, expected: String) throws {
        let advertised = try BusEndpoint(url).advertised(currentDirectory: currentDirectory)
        #expect(advertised.url == expected)
        #expect(!advertised.isWildcard)
    }

    @Test func clientRejectsWildcard() {
        #expect(throws: BusError.self) { try RequestClient(connectingTo: "tcp://*:7000") }
    }
}
