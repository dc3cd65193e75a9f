/// Console: where the command-line tools' lines go (busctl, skiffctl). Commands write to a
/// `LineSink`; `FileDescriptorSink` writes each line with write(2) as it is produced, so
/// `busctl tap | grep`, `skiffctl get -w | grep` and a test reading a child's pipe see lines as
/// they happen; `CollectingSink` keeps lines in memory (tests).
///
/// Concurrency: sinks are Sendable and callable from any task; one line is one write when the
/// kernel allows, so lines never interleave mid-line. Must never: buffer a line past the call
/// that writes it, or crash when the reader went away (EPIPE drops the line).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

public protocol LineSink: Sendable {
    /// Writes `line` and a newline.
    func write(line: String)
}

extension LineSink {
    public func write(lines: [String]) {
        for line in lines { write(line: line) }
    }
}

public struct FileDescriptorSink: LineSink {
    public let descriptor: Int32

    public static let standardOutput = FileDescriptorSink(descriptor: 1)
    public static let standardError = FileDescriptorSink(descriptor: 2)

    public init(descriptor: Int32) { self.descriptor = descriptor }

    public func write(line: String) {
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}

/// write(2), named apart from `LineSink.write(line:)`, which hides it inside the sink.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

/// Keeps every line written, for tests.
public final class CollectingSink: LineSink {
    private let storage = Mutex<[String]>([])

    public init() {}

    public func write(line: String) {
        storage.withLock { $0.append(line) }
    }

    public var lines: [String] { storage.withLock { $0 } }
    /// Everything written, one string with a newline after each line.
    public var text: String { lines.map { $0 + "\n" }.joined() }
}
