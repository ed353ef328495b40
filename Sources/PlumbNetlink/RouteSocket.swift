import CNetlink
import Glibc
import PlumbSystem

/// One rtnetlink socket, bound for life to the network namespace of the thread
/// that created it (vishvananda's `Handle`; docs/ARCHITECTURE.md §6). Create it inside the
/// namespace — `try ns.run { try RouteSocket(label: "web") }` — then use it from
/// any single thread. Not Sendable: libnl objects are not thread-safe.
public final class RouteSocket {
    let sock: OpaquePointer
    let ack: UnsafeMutablePointer<plumb_nl_ack>
    /// Names the namespace in error messages ("host", "netns web").
    public let label: String

    public init(label: String) throws {
        sock = try openSocket("NETLINK_ROUTE", label: label) { nl_connect($0, NETLINK_ROUTE) }
        ack = .allocate(capacity: 1)
        ack.initialize(to: plumb_nl_ack())
        self.label = label
        _ = plumb_nl_capture_errors(sock, ack)
        // Large dumps (thousands of links) must not overrun the default buffer.
        _ = nl_socket_set_buffer_size(sock, 4 << 20, 1 << 20)
    }

    deinit {
        nl_socket_free(sock)
        ack.deallocate()
    }

    /// Runs one libnl call and turns a failure into a NetlinkError with the
    /// kernel's errno and message (libnl's own NLE_* codes are too coarse).
    func perform(_ operation: String, _ object: @autoclosure () -> String, _ call: () -> Int32) throws {
        ack.pointee.error = 0
        ack.pointee.message.0 = 0
        let rc = call()
        guard rc < 0 else { return }
        let errno: Errno
        var message = ""
        if ack.pointee.error != 0 {
            errno = Errno(rawValue: ack.pointee.error)
            message = withUnsafePointer(to: ack.pointee.message) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
        } else {
            errno = Errno(rawValue: errnoFromLibnl(-rc))
        }
        throw NetlinkError(operation: operation, object: "\(object()) in \(label)", errno: errno,
                           kernelMessage: message)
    }
}
