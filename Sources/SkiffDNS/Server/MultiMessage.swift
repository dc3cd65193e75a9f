/// MultiMessage: recvmmsg(2) and sendmmsg(2), which move a batch of datagrams per system call.
/// Swift's Glibc module does not import them (glibc declares them only under _GNU_SOURCE), so
/// they are looked up in libc at run time; the header layout is `struct mmsghdr`.
///
/// Concurrency: the functions are thread-safe system calls. Must never: be used when the
/// lookup failed (`available` false): callers fall back to recvfrom/sendto.
#if canImport(Glibc)
import Glibc

struct MultiMessageHeader {
    var message: msghdr
    /// Bytes received or sent for this message.
    var length: UInt32
}

enum MultiMessage {
    /// The headers travel as raw pointers: C function types cannot name Swift structs.
    typealias ReceiveFunction = @convention(c) (Int32, UnsafeMutableRawPointer?, UInt32, Int32,
                                                UnsafeMutablePointer<timespec>?) -> Int32
    typealias SendFunction = @convention(c) (Int32, UnsafeMutableRawPointer?, UInt32, Int32) -> Int32

    /// `struct mmsghdr` is a msghdr and an unsigned int, padded to 64 bytes on LP64.
    static let layoutMatches = MemoryLayout<MultiMessageHeader>.stride == MemoryLayout<msghdr>.size + 8

    static let receive: ReceiveFunction? = lookup("recvmmsg")
    static let send: SendFunction? = lookup("sendmmsg")

    static var available: Bool { layoutMatches && receive != nil && send != nil }

    private static func lookup<Function>(_ name: String) -> Function? {
        // RTLD_DEFAULT is the null handle on glibc.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(symbol, to: Function.self)
    }
}
#endif
