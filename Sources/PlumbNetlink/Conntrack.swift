import CNetlink
import Glibc
import PlumbSystem
import PlumbTypes

/// A flow's direction as conntrack names it: protocol, source, destination.
public struct FlowTuple: Sendable, Hashable, CustomStringConvertible {
    public var proto: TransportProtocol
    public var source: Endpoint
    public var destination: Endpoint
    public init(_ proto: TransportProtocol, from source: Endpoint, to destination: Endpoint) {
        self.proto = proto; self.source = source; self.destination = destination
    }
    public var description: String { "\(proto.rawValue) \(source) → \(destination)" }
}

/// One conntrack entry: the flow as it was sent, and the reply direction the kernel
/// expects — after NAT, the reply comes *from* where the flow really went.
public struct ConntrackEntry: Sendable, Hashable {
    public var original: FlowTuple
    public var reply: FlowTuple
    /// IPS_* bits.
    public var status: UInt32
    /// Where the flow went: the reply's source.
    public var destination: Endpoint { reply.source }
    public init(original: FlowTuple, reply: FlowTuple, status: UInt32) {
        self.original = original; self.reply = reply; self.status = status
    }
}

/// A ctnetlink socket of the namespace it was created in (like `RouteSocket`).
public final class ConntrackSocket {
    let sock: OpaquePointer
    public let label: String

    public init(label: String) throws {
        sock = try openSocket("NETLINK_NETFILTER", label: label) { nl_connect($0, NETLINK_NETFILTER) }
        self.label = label
    }

    deinit { nl_socket_free(sock) }

    /// The entry whose original direction is `t`; nil when the kernel has none (a flow
    /// dropped before postrouting is never confirmed, so never listed).
    /// Equivalent to: `conntrack -G -p PROTO -s SRC --sport SP -d DST --dport DP`.
    public func entry(_ t: FlowTuple) throws -> ConntrackEntry? {
        let query = try Self.make(t)
        defer { nfnl_ct_put(query) }
        var out: OpaquePointer?
        let rc = plumb_ct_get(sock, query, &out)
        if rc < 0 {
            throw NetlinkError(operation: "IPCTNL_MSG_CT_GET", object: "\(t) in \(label)", errno: Errno(rawValue: errnoFromLibnl(-rc)))
        }
        guard let ct = out else { return nil }
        defer { nfnl_ct_put(ct) }
        guard let o = Self.tuple(ct, reply: false, proto: t.proto), let r = Self.tuple(ct, reply: true, proto: t.proto) else { return nil }
        return ConntrackEntry(original: o, reply: r, status: nfnl_ct_get_status(ct))
    }

    /// Removes the entry: a probe leaves no flow behind. Absent is fine.
    /// Equivalent to: `conntrack -D -p PROTO -s SRC --sport SP -d DST --dport DP`.
    public func delete(_ t: FlowTuple) throws {
        let ct = try Self.make(t)
        defer { nfnl_ct_put(ct) }
        let rc = nfnl_ct_del(sock, ct, 0)
        if rc < 0 && rc != -NLE_OBJ_NOTFOUND {
            throw NetlinkError(operation: "IPCTNL_MSG_CT_DELETE", object: "\(t) in \(label)", errno: Errno(rawValue: errnoFromLibnl(-rc)))
        }
    }

    static func make(_ t: FlowTuple) throws -> OpaquePointer {
        guard let ct = nfnl_ct_alloc() else { throw NetlinkError(operation: "nfnl_ct_alloc", object: "\(t)", errno: .noMemory) }
        nfnl_ct_set_family(ct, UInt8(t.source.address.family == .v4 ? AF_INET : AF_INET6))
        nfnl_ct_set_proto(ct, UInt8(t.proto == .tcp ? IPPROTO_TCP : IPPROTO_UDP))
        let src = NLAddress.make(t.source.address, prefix: t.source.address.bytes.count * 8)
        let dst = NLAddress.make(t.destination.address, prefix: t.destination.address.bytes.count * 8)
        defer { nl_addr_put(src); nl_addr_put(dst) }
        _ = nfnl_ct_set_src(ct, 0, src)
        _ = nfnl_ct_set_dst(ct, 0, dst)
        nfnl_ct_set_src_port(ct, 0, UInt16(t.source.port))
        nfnl_ct_set_dst_port(ct, 0, UInt16(t.destination.port))
        return ct
    }

    static func tuple(_ ct: OpaquePointer, reply: Bool, proto: TransportProtocol) -> FlowTuple? {
        let r: Int32 = reply ? 1 : 0
        guard let s = NLAddress.ip(nfnl_ct_get_src(ct, r)), let d = NLAddress.ip(nfnl_ct_get_dst(ct, r)) else { return nil }
        return FlowTuple(proto, from: Endpoint(s, Int(nfnl_ct_get_src_port(ct, r))), to: Endpoint(d, Int(nfnl_ct_get_dst_port(ct, r))))
    }
}
