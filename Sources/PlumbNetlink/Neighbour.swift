import CNetlink
import Glibc
import PlumbTypes

/// An IPv4/IPv6 neighbour (ARP/ND) entry (`ip neigh show`).
public struct NeighbourInfo: Sendable, Equatable {
    public var index: Int
    public var address: IPAddress
    public var state: Int   // NUD_* bits
    /// The link-layer address it resolves to (`lladdr`); nil while unresolved.
    public var mac: MACAddress?
    public init(index: Int, address: IPAddress, state: Int, mac: MACAddress? = nil) {
        self.index = index; self.address = address; self.state = state; self.mac = mac
    }

    /// NUD_* states, as `ip neigh` names them.
    public static let reachable = 0x02, stale = 0x04, delay = 0x08, probe = 0x10, failed = 0x20, permanent = 0x80

    /// `REACHABLE`, `STALE`, … as `ip neigh` prints the state.
    public var stateName: String {
        let names = [(0x01, "INCOMPLETE"), (0x02, "REACHABLE"), (0x04, "STALE"), (0x08, "DELAY"), (0x10, "PROBE"),
                     (0x20, "FAILED"), (0x40, "NOARP"), (0x80, "PERMANENT")]
        let set = names.filter { state & $0.0 != 0 }.map(\.1)
        return set.isEmpty ? "NONE" : set.joined(separator: ",")
    }
}

extension RouteSocket {
    /// Equivalent to: `ip neigh show`.
    public func neighbours() throws -> [NeighbourInfo] {
        var cache: OpaquePointer?
        try perform("RTM_GETNEIGH", "dump") { rtnl_neigh_alloc_cache(sock, &cache) }
        defer { nl_cache_free(cache) }
        return collect(cache) { n -> NeighbourInfo? in
            guard let a = NLAddress.ip(rtnl_neigh_get_dst(n)) else { return nil }
            return NeighbourInfo(index: Int(rtnl_neigh_get_ifindex(n)), address: a, state: Int(rtnl_neigh_get_state(n)),
                                 mac: NLAddress.mac(rtnl_neigh_get_lladdr(n)))
        }.compactMap { $0 }
    }

    /// Equivalent to: `ip neigh add ADDRESS lladdr MAC dev IFINDEX nud reachable` — EEXIST
    /// when the namespace already has an entry for it (never replaced).
    public func addNeighbour(_ a: IPAddress, mac: MACAddress, index: Int, name: String) throws {
        let n = rtnl_neigh_alloc()!
        defer { rtnl_neigh_put(n) }
        let dst = NLAddress.make(a, prefix: a.bytes.count * 8)
        defer { nl_addr_put(dst) }
        let ll = nl_addr_build(AF_LLC, mac.bytes, 6)
        defer { nl_addr_put(ll) }
        rtnl_neigh_set_ifindex(n, Int32(index))
        rtnl_neigh_set_family(n, a.family == .v4 ? AF_INET : AF_INET6)
        _ = rtnl_neigh_set_dst(n, dst)
        rtnl_neigh_set_lladdr(n, ll)
        rtnl_neigh_set_state(n, Int32(NeighbourInfo.reachable))
        try perform("RTM_NEWNEIGH", "\(a) lladdr \(mac) dev \(name)") { rtnl_neigh_add(sock, n, NLM_F_CREATE | NLM_F_EXCL) }
    }

    /// Equivalent to: `ip neigh del ADDRESS dev IFINDEX`.
    public func deleteNeighbour(_ a: IPAddress, index: Int, name: String) throws {
        let n = rtnl_neigh_alloc()!
        defer { rtnl_neigh_put(n) }
        let dst = NLAddress.make(a, prefix: a.bytes.count * 8)
        defer { nl_addr_put(dst) }
        rtnl_neigh_set_ifindex(n, Int32(index))
        rtnl_neigh_set_family(n, a.family == .v4 ? AF_INET : AF_INET6)
        _ = rtnl_neigh_set_dst(n, dst)
        try perform("RTM_DELNEIGH", "\(a) dev \(name)") { rtnl_neigh_delete(sock, n, 0) }
    }
}
