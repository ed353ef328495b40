import CNetlink
import Glibc
import PlumbTypes

/// Requests are values: build one, hand it to `RouteSocket.execute`.
/// Each documents the `ip` command it equals (docs/ARCHITECTURE.md §1).

/// Equivalent to: `ip link add NAME [alias A] type bridge [mtu M]`.
/// With `mac`, `address MAC` too: a bridge with an address of its own keeps it, instead
/// of taking the lowest MAC of its ports, which changes as ports come and go.
public struct CreateBridge: Sendable {
    public var name: String
    public var mtu: Int?
    public var mac: MACAddress?
    public init(name: String, mtu: Int? = nil, mac: MACAddress? = nil) { self.name = name; self.mtu = mtu; self.mac = mac }
}

/// Equivalent to: `ip link add HOST [address MAC] [master BR] [up] type veth peer name PEER netns NS [mtu M]`.
/// The peer is born inside the container's namespace and the host end is enslaved at
/// creation: one RTM_NEWLINK instead of three (docs/ARCHITECTURE.md §6).
public struct CreateVeth: Sendable {
    public var hostName: String
    public var peerName: String
    public var peerNamespaceFD: Int32
    public var masterIndex: Int?
    public var mtu: Int?
    public var hostUp: Bool
    /// The host end's MAC from birth (a mark the kernel keeps before any alias is set).
    public var hostMAC: MACAddress?
    /// The peer's MAC from birth.
    public var peerMAC: MACAddress?
    public init(hostName: String, peerName: String, peerNamespaceFD: Int32, masterIndex: Int? = nil,
                mtu: Int? = nil, hostUp: Bool = true, hostMAC: MACAddress? = nil, peerMAC: MACAddress? = nil) {
        self.hostName = hostName; self.peerName = peerName; self.peerNamespaceFD = peerNamespaceFD
        self.masterIndex = masterIndex; self.mtu = mtu; self.hostUp = hostUp; self.hostMAC = hostMAC; self.peerMAC = peerMAC
    }
}

/// Equivalent to: `ip link set dev IFINDEX [name N] [mtu M] [address MAC] [alias A] [master BR] [up|down] [netns NS]
/// [addrgenmode none]`.
/// Addressed by ifindex, never by name (a rename must not race a name).
public struct SetLink: Sendable {
    public var index: Int
    public var name: String?
    public var mtu: Int?
    public var mac: MACAddress?
    public var alias: String?
    public var masterIndex: Int?
    public var up: Bool?
    public var namespaceFD: Int32?
    /// `addrgenmode none`: the link makes no IPv6 link-local address, so it sends no DAD,
    /// router solicitation or MLD report (a bridge port is layer 2 only). The kernel
    /// applies it after a flag change in the same message: send it before `up`.
    public var noIPv6Addresses: Bool
    /// `txqueuelen N` (IFLA_TXQLEN).
    public var txqlen: Int?
    public init(index: Int, name: String? = nil, mtu: Int? = nil, mac: MACAddress? = nil, alias: String? = nil,
                masterIndex: Int? = nil, up: Bool? = nil, namespaceFD: Int32? = nil, noIPv6Addresses: Bool = false,
                txqlen: Int? = nil) {
        self.index = index; self.name = name; self.mtu = mtu; self.mac = mac; self.alias = alias; self.txqlen = txqlen
        self.masterIndex = masterIndex; self.up = up; self.namespaceFD = namespaceFD; self.noIPv6Addresses = noIPv6Addresses
    }
}

extension RouteSocket {
    public func execute(_ r: CreateBridge) throws {
        let l = rtnl_link_alloc()!
        defer { rtnl_link_put(l) }
        rtnl_link_set_name(l, r.name)
        _ = rtnl_link_set_type(l, "bridge")
        if let m = r.mtu { rtnl_link_set_mtu(l, UInt32(m)) }
        var addr: OpaquePointer?
        if let mac = r.mac { addr = NLAddress.make(mac); rtnl_link_set_addr(l, addr) }
        defer { if let addr { nl_addr_put(addr) } }
        // NLM_F_EXCL: without it an existing bridge would be silently modified.
        try perform("RTM_NEWLINK", "bridge \(r.name)") {
            rtnl_link_add(sock, l, NLM_F_CREATE | NLM_F_EXCL)
        }
    }

    public func execute(_ r: CreateVeth) throws {
        let host = rtnl_link_veth_alloc()!
        defer { rtnl_link_put(host) }
        let peer = rtnl_link_veth_get_peer(host)!
        defer { rtnl_link_put(peer) }
        rtnl_link_set_name(host, r.hostName)
        if let m = r.masterIndex { rtnl_link_set_master(host, Int32(m)) }
        if r.hostUp { rtnl_link_set_flags(host, K.iffUp) }
        var addr: OpaquePointer?
        if let mac = r.hostMAC { addr = NLAddress.make(mac); rtnl_link_set_addr(host, addr) }
        defer { if let addr { nl_addr_put(addr) } }
        var peerAddr: OpaquePointer?
        if let mac = r.peerMAC { peerAddr = NLAddress.make(mac); rtnl_link_set_addr(peer, peerAddr) }
        defer { if let peerAddr { nl_addr_put(peerAddr) } }
        rtnl_link_set_name(peer, r.peerName)
        rtnl_link_set_ns_fd(peer, r.peerNamespaceFD)
        if let m = r.mtu {
            rtnl_link_set_mtu(host, UInt32(m)); rtnl_link_set_mtu(peer, UInt32(m))
        }
        try perform("RTM_NEWLINK", "veth \(r.hostName) peer \(r.peerName)") {
            rtnl_link_add(sock, host, NLM_F_CREATE | NLM_F_EXCL)
        }
    }

    public func execute(_ r: SetLink) throws {
        let orig = rtnl_link_alloc()!, change = rtnl_link_alloc()!
        defer { rtnl_link_put(orig); rtnl_link_put(change) }
        rtnl_link_set_ifindex(orig, Int32(r.index))
        if let n = r.name { rtnl_link_set_name(change, n) }
        if let m = r.mtu { rtnl_link_set_mtu(change, UInt32(m)) }
        if let q = r.txqlen { rtnl_link_set_txqlen(change, UInt32(q)) }
        if let a = r.alias { rtnl_link_set_ifalias(change, a) }
        if let m = r.masterIndex { rtnl_link_set_master(change, Int32(m)) }
        if let fd = r.namespaceFD { rtnl_link_set_ns_fd(change, fd) }
        if r.noIPv6Addresses { _ = rtnl_link_inet6_set_addr_gen_mode(change, K.addrGenModeNone) }
        if let mac = r.mac {
            let a = NLAddress.make(mac); defer { nl_addr_put(a) }
            rtnl_link_set_addr(change, a)
        }
        switch r.up {
        case true?: rtnl_link_set_flags(change, K.iffUp)
        case false?: rtnl_link_unset_flags(change, K.iffUp)
        case nil: break
        }
        try perform("RTM_NEWLINK", "ifindex \(r.index)\(r.name.map { " (\($0))" } ?? "")") {
            rtnl_link_change(sock, orig, change, 0)
        }
    }

    /// Equivalent to: `ip link del dev IFINDEX`.
    public func deleteLink(index: Int, name: String) throws {
        let l = rtnl_link_alloc()!
        defer { rtnl_link_put(l) }
        rtnl_link_set_ifindex(l, Int32(index))
        try perform("RTM_DELLINK", name) { rtnl_link_delete(sock, l) }
    }
}
