/// Console: where busctl's lines go. `LineSink` is what the commands write to; `FileDescriptorSink`
/// writes each line straight to a file descriptor with write(2), so every line is out (not
/// sitting in a stdio buffer) when the call returns, which is what makes `busctl tap | grep`
/// and a test reading the child's pipe see lines as they happen. `CollectingSink` keeps lines
/// in memory (tests).
///
/// Concurrency: sinks are Sendable and may be called from any task; a line is written with
/// as few write(2) calls as the kernel allows, so lines from one writer never interleave
/// mid-line with each other. Must never: buffer a line past the call that writes it, or crash
/// when the reader went away (EPIPE ends the output quietly).
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

public struct FileDescriptorSink: LineSink {
    public let descriptor: Int32

    public static let standardOutput = FileDescriptorSink(descriptor: 1)
    public static let standardError = FileDescriptorSink(descriptor: 2)

    public init(descriptor: Int32) {
        self.descriptor = descriptor
    }

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
                return // EPIPE and friends: nobody is reading; drop the line.
            }
            offset += written
        }
    }
}

/// write(2), named apart from `LineSink.write(line:)`, which hides it inside the sinks.
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
}
