/// A bump allocator for building one protobuf-c message tree to pack: every struct, string and
/// array of the tree lives in a few chunks freed together when the arena goes away, instead of
/// one malloc and free per node.
///
/// Not thread-safe: one arena per encode call, never shared or kept past it.
import CProtobufC
import Glibc

final class Arena {
    private var chunks: [UnsafeMutableRawPointer] = []
    private var cursor: UnsafeMutableRawPointer?
    private var remaining = 0
    private var nextChunkSize = 2048

    init() {}

    deinit {
        for chunk in chunks { free(chunk) }
    }

    /// Uninitialized, 16-byte aligned memory that lives as long as the arena.
    func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        let size = (max(bytes, 1) + 15) & ~15
        if size > remaining {
            let chunkSize = max(size, nextChunkSize)
            nextChunkSize = min(nextChunkSize * 2, 1 << 20)
            guard let chunk = malloc(chunkSize) else { fatalError("out of memory allocating \(chunkSize) bytes") }
            chunks.append(chunk)
            cursor = chunk
            remaining = chunkSize
        }
        let pointer = cursor!
        cursor = pointer + size
        remaining -= size
        return pointer
    }

    /// Memory for one T, zeroed (protoc-c's `__init` then sets the defaults).
    func make<T>(_ type: T.Type) -> UnsafeMutablePointer<T> {
        let raw = allocate(bytes: MemoryLayout<T>.stride)
        memset(raw, 0, MemoryLayout<T>.stride)
        return raw.bindMemory(to: T.self, capacity: 1)
    }

    /// An array of `count` null pointers to T, for repeated message fields.
    func pointers<T>(to type: T.Type, count: Int) -> UnsafeMutablePointer<UnsafeMutablePointer<T>?> {
        let raw = allocate(bytes: MemoryLayout<UnsafeMutablePointer<T>?>.stride * count)
        return raw.initializeMemory(as: UnsafeMutablePointer<T>?.self, repeating: nil, count: count)
    }

    /// A NUL-terminated copy of `string`. Throws if it contains NUL, which C would silently truncate.
    func cString(_ string: String, _ path: StaticString) throws(WireError) -> UnsafeMutablePointer<CChar> {
        var string = string
        // withUTF8 rethrows untyped errors: report a NUL through the return value instead.
        let copy: UnsafeMutablePointer<CChar>? = string.withUTF8 { utf8 in
            if let base = utf8.baseAddress, memchr(base, 0, utf8.count) != nil { return nil }
            let raw = allocate(bytes: utf8.count + 1)
            if let base = utf8.baseAddress { raw.copyMemory(from: base, byteCount: utf8.count) }
            raw.storeBytes(of: 0, toByteOffset: utf8.count, as: UInt8.self)
            return raw.bindMemory(to: CChar.self, capacity: utf8.count + 1)
        }
        guard let copy else { throw WireError(.embeddedNUL, path: "\(path)", "a string cannot contain a NUL byte") }
        return copy
    }

    func cStrings(_ strings: [String], _ path: StaticString) throws(WireError) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
        let array = pointers(to: CChar.self, count: strings.count)
        for (index, string) in strings.enumerated() { array[index] = try cString(string, path) }
        return array
    }

    func binary(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        ProtobufCBinaryData(len: bytes.count, data: copy(bytes))
    }

    func binaries(_ values: [[UInt8]]) -> UnsafeMutablePointer<ProtobufCBinaryData> {
        copy(values.map(binary))
    }

    func bools(_ values: [Bool]) -> UnsafeMutablePointer<protobuf_c_boolean> {
        copy(values.map { $0 ? 1 : 0 })
    }

    /// A copy of a trivial (scalar) array.
    func copy<T>(_ values: [T]) -> UnsafeMutablePointer<T> {
        let raw = allocate(bytes: MemoryLayout<T>.stride * values.count)
        let typed = raw.bindMemory(to: T.self, capacity: values.count)
        values.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { typed.initialize(from: base, count: values.count) }
        }
        return typed
    }
}
