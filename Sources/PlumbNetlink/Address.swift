import CNetlink
import Glibc
import PlumbTypes

/// An address on an interface (`ip addr show`).
public struct AddressInfo: Sendable, Equatable, Codable {
    public var index: Int
    public var prefix: IPPrefix
    public var scope: Int
    /// IFA_F_* (nil in observations recorded before Plumb read them).
    public var flags: Int?
    public init(index: Int, prefix: IPPrefix, scope: Int = 0, flags: Int? = nil) {
        self.index = index; self.prefix = prefix; self.scope = scope; self.flags = flags
    }

    /// IFA_F_TENTATIVE: IPv6 duplicate address detection still runs; the address cannot be used yet.
    public var tentative: Bool { (flags ?? 0) & 0x40 != 0 }
    /// IFA_F_DADFAILED: another station holds this IPv6 address.
    public var dadFailed: Bool { (flags ?? 0) & 0x08 != 0 }
}

extension RouteSocket {
    /// Equivalent to: `ip addr show`.
    public func addresses() throws -> [AddressInfo] {
        var cache: OpaquePointer?
        try perform("RTM_GETADDR", "dump") { rtnl_addr_alloc_cache(sock, &cache) }
        defer { nl_cache_free(cache) }
        return collect(cache) { a -> AddressInfo? in
            guard let p = NLAddress.prefix(rtnl_addr_get_local(a)) else { return nil }
            return AddressInfo(index: Int(rtnl_addr_get_ifindex(a)), prefix: p, scope: Int(rtnl_addr_get_scope(a)),
                               flags: Int(rtnl_addr_get_flags(a)))
        }.compactMap { $0 }
    }

    /// Equivalent to: `ip addr add PREFIX dev IFINDEX` (EEXIST when present); with `noDAD`,
    /// `ip addr add PREFIX dev IFINDEX nodad` (an IPv6 address usable at once: no duplicate
    /// address detection, for a link Plumb alone is on).
    public func addAddress(_ p: IPPrefix, index: Int, name: String, noDAD: Bool = false) throws {
        try withAddress(p, index: index) { a in
            if noDAD && p.family == .v6 { rtnl_addr_set_flags(a, UInt32(IFA_F_NODAD)) }
            try perform("RTM_NEWADDR", "\(p) dev \(name)") { rtnl_addr_add(sock, a, NLM_F_CREATE | NLM_F_EXCL) }
        }
    }

    /// Equivalent to: `ip addr del PREFIX dev IFINDEX`.
    public func deleteAddress(_ p: IPPrefix, index: Int, name: String) throws {
        try withAddress(p, index: index) { a in
            try perform("RTM_DELADDR", "\(p) dev \(name)") { rtnl_addr_delete(sock, a, 0) }
        }
    }

    private func withAddress(_ p: IPPrefix, index: Int, _ body: (OpaquePointer) throws -> Void) throws {
        let a = rtnl_addr_alloc()!
        defer { rtnl_addr_put(a) }
        let local = NLAddress.make(p)
        defer { nl_addr_put(local) }
        rtnl_addr_set_ifindex(a, Int32(index))
        rtnl_addr_set_family(a, p.family == .v4 ? AF_INET : AF_INET6)
        _ = rtnl_addr_set_local(a, local)
        try body(a)
    }
}
