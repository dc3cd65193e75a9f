/// `busctl call`: send one request to a request server and print its reply: the request is
/// built by `RequestBuilder` from --data or --file, sent with a `RequestClient`, and the reply
/// printed by `ReplyRenderer`. A Failure reply or a bus error is reported as
/// `error: CODE: message` on stderr with exit status 1.
///
/// Concurrency: one call from the command's task. Must never: leave the client open on any
/// path, or print anything on stdout for a failed call.
import ArgumentParser
import Foundation
import SkiffBus
import SkiffWire
import SkiffCommandLine

struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Send one request to a request server and print the reply.",
        discussion: """
            The request is a message of the named type, written as JSON or YAML with \
            Kubernetes field names (e.g. --data '{"from": "me"}'); no data sends an empty \
            message. Every server answers skiff.wire.v1.Ping. The reply prints as YAML, or \
            as JSON with --json. Find servers' URLs with `busctl ls`.
            """)

    @Option(name: .customLong("connect"), help: ArgumentHelp(
        "The request server's URL, e.g. ipc:///path/to/apiserver.sock.", valueName: "url"))
    var url: String

    @Option(name: .customLong("type"), help: ArgumentHelp(
        "Full proto name of the request message, e.g. skiff.wire.v1.Ping.", valueName: "proto-name"))
    var typeName: String

    @Option(help: ArgumentHelp("The request as JSON or YAML.", valueName: "json-or-yaml"))
    var data: String?

    @Option(help: ArgumentHelp("Read the request as JSON or YAML from this file ('-' for stdin).", valueName: "path"))
    var file: String?

    @Option(help: ArgumentHelp("Seconds to wait for the reply.", valueName: "seconds"))
    var timeout: Double = 5

    @Flag(help: "Print the reply as JSON instead of YAML.")
    var json = false

    func validate() throws {
        if data != nil && file != nil { throw ValidationError("give --data or --file, not both") }
        if !(timeout > 0 && timeout.isFinite) { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    func run() async throws {
        let (url, typeName, data, file, timeout) = (url, typeName, data, file, timeout)
        let format: ReplyRenderer.Format = json ? .json : .yaml
        try await reportingErrors {
            let text = try data ?? file.map(Self.read)
            let message = try RequestBuilder.message(typeName: typeName, text: text)
            var envelope = Envelope()
            envelope.type = typeName
            envelope.payload = try RequestBuilder.payload(of: message)
            let endpoint = try BusEndpoint(url)
            let client = try RequestClient(connectingTo: [endpoint], component: "busctl")
            let reply: Envelope
            do {
                reply = try await client.call(envelope: envelope, timeout: .seconds(timeout))
            } catch {
                await client.close()
                throw error
            }
            await client.close()
            FileDescriptorSink.standardOutput.write(line: try ReplyRenderer.render(reply, format: format))
        }
    }

    private static func read(_ path: String) throws -> String {
        let data: Data?
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            data = FileManager.default.contents(atPath: path)
        }
        guard let data else { throw BusctlError("cannot read \(path)") }
        guard let text = String(data: data, encoding: .utf8) else { throw BusctlError("\(path) is not UTF-8 text") }
        return text
    }
}
