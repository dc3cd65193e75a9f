/// BusDefaults: the numbers every bus socket shares unless told otherwise, with the reason for
/// each, plus the process-wide identity (pid, start time, default sender name).
///
/// Concurrency: constants only. Must never: differ between processes of one cluster
/// (`maxMessageSize` is both a send check and every receiver's NN_RCVMAXSIZE).
#if canImport(Glibc)
import Glibc
#endif

public enum BusDefaults {
    /// Largest message (frame) the bus sends or receives: 16 MiB. nanomsg silently drops a
    /// message over the receiver's NN_RCVMAXSIZE, so senders check against the same number.
    public static let maxMessageSize = 16 << 20
    /// A publisher's per-subscriber send buffer: 16 MiB. With nanomsg's 128 KiB default a
    /// burst lost 96% of its messages; with 16 MiB none (shared/notes/bus.md).
    public static let publisherSendBuffer = 16 << 20
    /// NN_REQ_RESEND_IVL for client sockets: one hour, far longer than any call's deadline, so
    /// nanomsg never resends a request on its own timer. It still resends at once when the
    /// connection the request went out on dies, which is what carries a call across a server
    /// restart.
    public static let requestResendInterval: Duration = .seconds(3600)

    /// This process's id.
    public static var pid: Int32 { getpid() }

    /// `"<component>-<pid>"`: the sender name used when none is given.
    public static func sender(component: String) -> String { "\(component)-\(getpid())" }
}
