import CNetlink
import Glibc
import PlumbSystem
import PlumbTypes

/// What a netlink multicast message told: enough to log what changed and to know a
/// re-plan is due. The plan, not the event, decides what to repair.
public enum KernelEvent: Sendable, Equatable, CustomStringConvertible {
    case link(removed: Bool, index: Int, name: String, up: Bool)
    case address(removed: Bool, index: Int, prefix: String)
    case route(removed: Bool, destination: String, device: Int)
    /// A policy-routing rule of `table` added or deleted (`ip monitor rule`).
    case rule(removed: Bool, table: Int)
    /// A namespace got or lost its id here: one was born or died.
    case namespaceID(removed: Bool)
    /// nf_tables changed (`nft flush ruleset` deletes every table).
    case nftables(removed: Bool, table: String)
    /// The socket's buffer overflowed: events were lost, so anything may have changed.
    case overrun
    /// An event from another namespace, by its id here (`ip netns list-id`).
    indirect case inNamespace(id: Int, KernelEvent)

    public var description: String {
        switch self {
        case .link(let removed, let index, let name, let up):
            return removed ? "link \(name) (ifindex \(index)) deleted" : "link \(name) (ifindex \(index)) changed, \(up ? "up" : "down")"
        case .address(let removed, let index, let prefix):
            return "address \(prefix) \(removed ? "removed from" : "added to") ifindex \(index)"
        case .route(let removed, let destination, let device):
            return "route \(destination)\(device > 0 ? " dev ifindex \(device)" : "") \(removed ? "deleted" : "added")"
        case .rule(let removed, let table):
            return "rule lookup \(table) \(removed ? "deleted" : "added")"
        case .namespaceID(let removed):
            return removed ? "a network namespace died" : "a network namespace got an id"
        case .nftables(let removed, let table):
            return "nftables \(table.isEmpty ? "ruleset" : "table \(table)") \(removed ? "deleted" : "changed")"
        case .overrun:
            return "events lost (socket buffer overrun)"
        case .inNamespace(let id, let event):
            return "\(event) in netns id \(id)"
        }
    }
}

/// A netlink socket that listens instead of asking: rtnetlink's link, address, route, rule and
/// namespace-id groups with NETLINK_LISTEN_ALL_NSID — so one socket in Plumb's namespace
/// hears every namespace that has an id here, without holding any of them alive (a socket
/// *inside* a container's namespace would keep it, and the VFs in it, from going away) —
/// or nf_tables' change group. Equivalent to `ip monitor all-nsid link address route rule nsid`
/// and `nft monitor`. Non-blocking: `fd` goes into poll(2), `drain` reads what is queued.
public final class EventSocket {
    public enum Source: Sendable { case routing, nftables }
    let sock: OpaquePointer
    public let source: Source
    public var fd: Int32 { nl_socket_get_fd(sock) }

    public init(_ source: Source) throws {
        self.source = source
        switch source {
        case .routing: sock = try openSocket("NETLINK_ROUTE", label: "events") { nl_connect($0, NETLINK_ROUTE) }
        case .nftables: sock = try openSocket("NETLINK_NETFILTER", label: "events") { nl_connect($0, NETLINK_NETFILTER) }
        }
        nl_socket_disable_seq_check(sock)
        _ = nl_socket_set_nonblocking(sock)
        // A flush of thousands of objects arrives at once; a small buffer would overrun.
        _ = nl_socket_set_buffer_size(sock, 8 << 20, 0)
        do { try subscribe() } catch { nl_socket_free(sock); throw error }
    }

    deinit { nl_socket_free(sock) }

    private func subscribe() throws {
        let groups: [UInt32]
        switch source {
        case .routing:
            var on: Int32 = 1
            guard setsockopt(fd, 270 /* SOL_NETLINK */, NETLINK_LISTEN_ALL_NSID, &on, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                throw NetlinkError(operation: "setsockopt NETLINK_LISTEN_ALL_NSID", object: "events", errno: Errno(rawValue: errno))
            }
            groups = [RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE,
                      RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE, RTNLGRP_NSID].map(\.rawValue)
        case .nftables:
            groups = [UInt32(NFNLGRP_NFTABLES.rawValue)]
        }
        for g in groups {
            let rc = nl_socket_add_membership(sock, Int32(g))
            guard rc >= 0 else { throw NetlinkError(operation: "join group \(g)", object: "events", errno: Errno(rawValue: errnoFromLibnl(-rc))) }
        }
    }

    /// Every message queued now, parsed; [] when none. Never blocks.
    public func drain() -> [KernelEvent] {
        var events: [KernelEvent] = []
        let size = 64 << 10
        let buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        defer { buf.deallocate() }
        while true {
            var nsid: Int32 = -1
            let n = plumb_recv_events(fd, buf, size, &nsid)
            if n == 0 { return events }
            guard n > 0 else {
                // ENOBUFS: the kernel dropped events for us; anything may have changed.
                if n == -ENOBUFS { events.append(.overrun); continue }
                return events
            }
            var remaining = n
            var hdr: UnsafeMutablePointer<nlmsghdr>? = buf.assumingMemoryBound(to: nlmsghdr.self)
            while let h = hdr, nlmsg_ok(h, remaining) != 0 {
                if let e = Self.parse(h) { events.append(nsid >= 0 ? .inNamespace(id: Int(nsid), e) : e) }
                hdr = nlmsg_next(h, &remaining)
            }
        }
    }

    static func parse(_ h: UnsafeMutablePointer<nlmsghdr>) -> KernelEvent? {
        var ev = plumb_event()
        plumb_event_parse(h, &ev)
        let name = withUnsafeBytes(of: ev.name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        switch Int(ev.kind) {
        case Int(PLUMB_EV_LINK.rawValue):
            return .link(removed: ev.removed != 0, index: Int(ev.ifindex), name: name, up: ev.flags & K.iffUp != 0)
        case Int(PLUMB_EV_ADDR.rawValue):
            return .address(removed: ev.removed != 0, index: Int(ev.ifindex), prefix: prefix(ev))
        case Int(PLUMB_EV_ROUTE.rawValue):
            return .route(removed: ev.removed != 0, destination: ev.prefixlen == 0 ? "default" : prefix(ev), device: Int(ev.ifindex))
        case Int(PLUMB_EV_RULE.rawValue):
            return .rule(removed: ev.removed != 0, table: Int(ev.rule_table))
        case Int(PLUMB_EV_NSID.rawValue):
            return .namespaceID(removed: ev.removed != 0)
        case Int(PLUMB_EV_NFT.rawValue):
            // NEWGEN closes every transaction: no news of its own.
            guard ev.nft_type != Int32(NFT_MSG_NEWGEN.rawValue) else { return nil }
            let table = withUnsafeBytes(of: ev.table) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            return .nftables(removed: ev.removed != 0, table: table)
        default:
            return nil
        }
    }

    private static func prefix(_ ev: plumb_event) -> String {
        let bytes = withUnsafeBytes(of: ev.addr) { Array($0) }
        let ip = ev.family == AF_INET ? IPAddress(bytes: Array(bytes.prefix(4)))
            : ev.family == AF_INET6 ? IPAddress(bytes: bytes) : nil
        return (ip.map { "\($0)" } ?? "?") + "/\(ev.prefixlen)"
    }
}

extension RouteSocket {
    /// `ip netns set NAME auto` for the namespace behind `fd`: an id in this socket's
    /// namespace, so the event socket hears it. A namespace that has one already is fine.
    public func assignNamespaceID(fd: Int32, label: String) throws {
        try perform("assign nsid", label) {
            let rc = plumb_assign_nsid(sock, fd)
            return rc == -NLE_EXIST ? 0 : rc
        }
    }
}
