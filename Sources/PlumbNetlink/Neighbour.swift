import CNetlink
import Glibc
import PlumbTypes

/// An IPv4/IPv6 neighbour (ARP/ND) entry (`ip neigh show`).
public struct NeighbourInfo: Sendable, Equatable {
    public var index: Int
    public var address: IPAddress
    public var state: Int   // NUD_* bits
    public init(index: Int, address: IPAddress, state: Int) { self.index = index; self.address = address; self.state = state }
}

extension RouteSocket {
    /// Equivalent to: `ip neigh show`.
    public func neighbours() throws -> [NeighbourInfo] {
        var cache: OpaquePointer?
        try perform("RTM_GETNEIGH", "dump") { rtnl_neigh_alloc_cache(sock, &cache) }
        defer { nl_cache_free(cache) }
        return collect(cache) { n -> NeighbourInfo? in
            guard let a = NLAddress.ip(rtnl_neigh_get_dst(n)) else { return nil }
            return NeighbourInfo(index: Int(rtnl_neigh_get_ifindex(n)), address: a, state: Int(rtnl_neigh_get_state(n)))
        }.compactMap { $0 }
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
