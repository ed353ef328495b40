import CNetlink
import Glibc
import PlumbTypes

/// Equivalent to: `ip link add link PARENT name NAME [address MAC] [mtu M] netns NS type macvlan mode MODE`.
/// The macvlan is born in the container's namespace under its final name: the parent is
/// looked up in the socket's namespace (the host's), the new link is made in `namespaceFD`'s.
/// One RTM_NEWLINK, no temporary name in the host and no move (docs/ARCHITECTURE.md §6);
/// the MAC given at birth is the mark until the alias lands.
public struct CreateMacvlan: Sendable {
    public var name: String
    public var parentIndex: Int
    public var mode: MacvlanMode
    public var namespaceFD: Int32
    public var mac: MACAddress?
    public var mtu: Int?
    public init(name: String, parentIndex: Int, mode: MacvlanMode, namespaceFD: Int32, mac: MACAddress? = nil, mtu: Int? = nil) {
        self.name = name; self.parentIndex = parentIndex; self.mode = mode; self.namespaceFD = namespaceFD
        self.mac = mac; self.mtu = mtu
    }
}

extension RouteSocket {
    public func execute(_ r: CreateMacvlan) throws {
        let l = rtnl_link_macvlan_alloc()!
        defer { rtnl_link_put(l) }
        rtnl_link_set_name(l, r.name)
        rtnl_link_set_link(l, Int32(r.parentIndex))
        _ = rtnl_link_macvlan_set_mode(l, UInt32(rtnl_link_macvlan_str2mode(r.mode.rawValue)))
        rtnl_link_set_ns_fd(l, r.namespaceFD)
        if let m = r.mtu { rtnl_link_set_mtu(l, UInt32(m)) }
        var addr: OpaquePointer?
        if let mac = r.mac { addr = NLAddress.make(mac); rtnl_link_set_addr(l, addr) }
        defer { if let addr { nl_addr_put(addr) } }
        try perform("RTM_NEWLINK", "macvlan \(r.name) on ifindex \(r.parentIndex) mode \(r.mode.rawValue)") {
            rtnl_link_add(sock, l, NLM_F_CREATE | NLM_F_EXCL)
        }
    }
}
