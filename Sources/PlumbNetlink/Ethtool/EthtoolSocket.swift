import CNetlink
import Glibc
import PlumbSystem

/// Values read from and written to the kernel's ethtool netlink family
/// (rings, channels, coalescing, features): the receive-path knobs the README's tuning section lists.
public enum Ethtool {}

/// A generic netlink socket connected to the kernel's `ethtool` family
/// (Documentation/networking/ethtool-netlink.rst): what `ethtool` itself speaks.
///
/// A netlink socket is bound for life to the network namespace of the thread that
/// creates it. Create it inside the namespace whose interfaces it should see —
/// `let s = try ns.run { try EthtoolSocket(label: "netns web") }` — then use it
/// from any one thread at a time. Not Sendable: libnl objects are not thread-safe.
public final class EthtoolSocket {
    let sock: OpaquePointer
    private let family: Int32
    private let ack: UnsafeMutablePointer<plumb_nl_ack>
    private let exchange = EthtoolExchange()
    /// Names the namespace in error messages ("netns web"); nil leaves it out.
    public let label: String?

    /// Connects and resolves the `ethtool` family id.
    /// Equivalent to: `genl ctrl get name ethtool`.
    public init(label: String? = nil) throws {
        (sock, family) = try Self.connect()
        self.label = label
        ack = .allocate(capacity: 1)
        ack.initialize(to: plumb_nl_ack())
        _ = plumb_nl_capture_errors(sock, ack)
        installCallbacks()
    }

    deinit {
        nl_socket_free(sock)
        ack.deallocate()
    }

    private static func connect() throws -> (OpaquePointer, Int32) {
        let s = try openSocket("NETLINK_GENERIC", label: nil) { genl_connect($0) }
        let rc = genl_ctrl_resolve(s, ETHTOOL_GENL_NAME)
        guard rc >= 0 else {
            nl_socket_free(s)
            throw NetlinkError(operation: "CTRL_CMD_GETFAMILY", object: ETHTOOL_GENL_NAME,
                               errno: Errno(rawValue: errnoFromLibnl(-rc)),
                               kernelMessage: String(cString: nl_geterror(rc)))
        }
        return (s, rc)
    }

    /// Routes libnl's callbacks to `exchange`: reply messages and the final ACK.
    /// (Errors go to plumb_nl_capture_errors' callback, which records errno + ext-ack.)
    private func installCallbacks() {
        let context = Unmanaged.passUnretained(exchange).toOpaque()
        nl_socket_modify_cb(sock, NL_CB_VALID, NL_CB_CUSTOM, { msg, arg in
            Unmanaged<EthtoolExchange>.fromOpaque(arg!).takeUnretainedValue().receive(msg!)
            return Int32(NL_OK.rawValue)
        }, context)
        nl_socket_modify_cb(sock, NL_CB_ACK, NL_CB_CUSTOM, { _, arg in
            Unmanaged<EthtoolExchange>.fromOpaque(arg!).takeUnretainedValue().acked = true
            return Int32(NL_STOP.rawValue)
        }, context)
    }

    /// Sends a GET and parses its one reply.
    func get<T>(_ request: EthtoolRequest, _ parse: (EthtoolAttributes) throws -> T) throws -> T {
        var value: T?
        try perform(request) { value = try parse($0) }
        guard let value else { throw request.failure(.io, "the kernel sent no reply") }
        return value
    }

    /// Sends a SET and waits for the kernel's ACK.
    func set(_ request: EthtoolRequest) throws {
        try perform(request) { _ in }
    }

    /// One request: send, then read replies until the ACK (or the error) arrives.
    private func perform(_ request: EthtoolRequest, _ onReply: (EthtoolAttributes) throws -> Void) throws {
        let msg = try request.message(family: family)
        defer { nlmsg_free(msg) }
        ack.pointee.error = 0
        ack.pointee.message.0 = 0
        try withoutActuallyEscaping(onReply) { handler in
            exchange.begin(reply: request.reply, handler)
            defer { exchange.end() }
            try check(request, nl_send_auto(sock, msg))
            while !exchange.acked {
                try check(request, nl_recvmsgs_default(sock))
            }
            if let failure = exchange.failure { throw request.failure(.io, "malformed reply: \(failure)") }
        }
    }

    /// Turns a negative libnl result into the kernel's errno and ext-ack text.
    private func check(_ request: EthtoolRequest, _ rc: Int32) throws {
        guard rc < 0 else { return }
        if ack.pointee.error != 0 {
            let text = withUnsafePointer(to: ack.pointee.message) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            throw request.failure(Errno(rawValue: ack.pointee.error), text, label: label)
        }
        throw request.failure(Errno(rawValue: errnoFromLibnl(-rc)), String(cString: nl_geterror(rc)), label: label)
    }
}

@available(*, unavailable)
extension EthtoolSocket: Sendable {}

/// The state one request shares with libnl's C callbacks.
final class EthtoolExchange {
    private var reply: EthtoolRequest.Reply?
    private var handler: ((EthtoolAttributes) throws -> Void)?
    private(set) var failure: (any Error)?
    var acked = false

    func begin(reply: EthtoolRequest.Reply?, _ handler: @escaping (EthtoolAttributes) throws -> Void) {
        self.reply = reply; self.handler = handler; failure = nil; acked = false
    }

    func end() { handler = nil; reply = nil }

    /// Parses a reply of the expected command; others (notifications) are skipped.
    /// A parse error is kept for later: a C callback must not throw.
    func receive(_ msg: OpaquePointer) {
        guard failure == nil, let reply, let handler else { return }
        do {
            guard let attrs = try EthtoolAttributes(message: msg, reply: reply) else { return }
            try handler(attrs)
        } catch {
            failure = error
        }
    }
}
