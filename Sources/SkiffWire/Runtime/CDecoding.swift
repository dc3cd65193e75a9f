/// Helpers the generated `init(cStruct:)` bridges call to copy values out of a message that
/// protobuf-c unpacked. They validate what protobuf-c accepts although it is wrong: strings that
/// are not UTF-8, and NULL elements in repeated fields.
import CProtobufC

/// Runs protobuf-c's unpack over `bytes` (which may be empty, with no base address).
@inline(__always)
func withWireBytes<R>(_ bytes: UnsafeRawBufferPointer, _ unpack: (Int, UnsafePointer<UInt8>) -> R?) -> R? {
    var empty: UInt8 = 0
    guard let base = bytes.baseAddress else { return unpack(0, &empty) }
    return unpack(bytes.count, base.assumingMemoryBound(to: UInt8.self))
}

@inline(__always)
func wireString(_ pointer: UnsafePointer<CChar>, _ path: StaticString) throws(WireError) -> String {
    guard let string = String(validatingCString: pointer) else {
        throw WireError(.invalidUTF8, path: "\(path)", "string is not valid UTF-8")
    }
    return string
}

func wireStrings(_ pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ count: Int,
                 _ path: StaticString) throws(WireError) -> [String] {
    guard count > 0, let pointer else { return [] }
    var strings: [String] = []
    strings.reserveCapacity(count)
    for index in 0..<count {
        guard let element = pointer[index] else { throw wireMissingElement(path) }
        strings.append(try wireString(element, path))
    }
    return strings
}

@inline(__always)
func wireBytes(_ data: ProtobufCBinaryData) -> [UInt8] {
    guard data.len > 0, let base = data.data else { return [] }
    return Array(UnsafeBufferPointer(start: base, count: data.len))
}

func wireBytesArray(_ pointer: UnsafeMutablePointer<ProtobufCBinaryData>?, _ count: Int) -> [[UInt8]] {
    guard count > 0, let pointer else { return [] }
    return UnsafeBufferPointer(start: pointer, count: count).map(wireBytes)
}

func wireScalars<T>(_ pointer: UnsafeMutablePointer<T>?, _ count: Int) -> [T] {
    guard count > 0, let pointer else { return [] }
    return Array(UnsafeBufferPointer(start: pointer, count: count))
}

func wireBools(_ pointer: UnsafeMutablePointer<protobuf_c_boolean>?, _ count: Int) -> [Bool] {
    guard count > 0, let pointer else { return [] }
    return UnsafeBufferPointer(start: pointer, count: count).map { $0 != 0 }
}

func wireMissingElement(_ path: StaticString) -> WireError {
    WireError(.malformed, path: "\(path)", "repeated field has a missing element")
}
