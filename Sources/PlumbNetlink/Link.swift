import CNetlink
import Glibc
import PlumbTypes

/// One network interface as the kernel reports it (`ip -d -s link show`).
public struct LinkInfo: Sendable, Equatable, Codable {
    public var index: Int
    public var name: String
    public var kind: String?          // "veth", "bridge", nil for physical
    public var master: Int?           // ifindex of the bridge it is enslaved to
    public var mtu: Int
    public var up: Bool               // IFF_UP (administrative)
    public var carrier: Bool          // lower layer up (IFF_LOWER_UP)
    public var operUp: Bool           // operstate UP
    public var mac: MACAddress?
    public var alias: String?
    /// IFLA_LINK: for a veth, the peer's ifindex (in `linkNetnsID`'s namespace when set).
    public var peerIndex: Int?
    public var linkNetnsID: Int?
    /// The transmit queue length (IFLA_TXQLEN, `ip link` "qlen").
    public var txqlen: Int?
    /// A macvlan's mode (IFLA_MACVLAN_MODE); its parent is `peerIndex`, in the namespace
    /// `linkNetnsID` names when the macvlan lives in another one.
    public var macvlanMode: MacvlanMode?
    /// An ipvlan's mode (IFLA_IPVLAN_MODE); its parent is `peerIndex`, as for a macvlan.
    public var ipvlanMode: IpvlanMode?
    /// Its flag (IFLA_IPVLAN_FLAGS), read by a request of its own: libnl 3.7 does not parse it.
    public var ipvlanFlag: IpvlanFlag?
    /// A VLAN subinterface's id and protocol (IFLA_VLAN_ID, IFLA_VLAN_PROTOCOL); its parent is `peerIndex`.
    public var vlanID: Int?
    public var vlanProtocol: VLANProtocol?
    public var stats: LinkStats

    public init(index: Int, name: String, kind: String? = nil, master: Int? = nil, mtu: Int = 1500,
                up: Bool = false, carrier: Bool = false, operUp: Bool = false, mac: MACAddress? = nil,
                alias: String? = nil, peerIndex: Int? = nil, linkNetnsID: Int? = nil, txqlen: Int? = nil,
                macvlanMode: MacvlanMode? = nil, ipvlanMode: IpvlanMode? = nil, ipvlanFlag: IpvlanFlag? = nil, vlanID: Int? = nil,
                vlanProtocol: VLANProtocol? = nil, stats: LinkStats = LinkStats()) {
        self.index = index; self.name = name; self.kind = kind; self.master = master; self.mtu = mtu
        self.up = up; self.carrier = carrier; self.operUp = operUp; self.mac = mac; self.alias = alias
        self.peerIndex = peerIndex; self.linkNetnsID = linkNetnsID; self.txqlen = txqlen; self.stats = stats
        self.macvlanMode = macvlanMode; self.ipvlanMode = ipvlanMode; self.ipvlanFlag = ipvlanFlag; self.vlanID = vlanID; self.vlanProtocol = vlanProtocol
    }
}

/// The link's counters: the receive path verification compares before and after a
/// probe, and both directions `plumb metrics` exports.
public struct LinkStats: Sendable, Equatable, Codable {
    public var rxPackets: UInt64 = 0
    public var rxBytes: UInt64 = 0
    public var rxDropped: UInt64 = 0
    public var rxErrors: UInt64 = 0
    public var rxFifoErrors: UInt64 = 0
    public var rxMissedErrors: UInt64 = 0
    public var rxOverErrors: UInt64 = 0
    public var txPackets: UInt64 = 0
    public var txBytes: UInt64 = 0
    public var txDropped: UInt64 = 0
    public var txErrors: UInt64 = 0
    public init() {}

    private enum CodingKeys: String, CodingKey {
        case rxPackets, rxBytes, rxDropped, rxErrors, rxFifoErrors, rxMissedErrors, rxOverErrors
        case txPackets, txBytes, txDropped, txErrors
    }

    /// Observations recorded before the transmit counters existed (planner fixtures) read
    /// them as 0: a missing counter is one nobody looked at.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func v(_ k: CodingKeys) throws -> UInt64 { try c.decodeIfPresent(UInt64.self, forKey: k) ?? 0 }
        rxPackets = try v(.rxPackets); rxBytes = try v(.rxBytes); rxDropped = try v(.rxDropped)
        rxErrors = try v(.rxErrors); rxFifoErrors = try v(.rxFifoErrors); rxMissedErrors = try v(.rxMissedErrors)
        rxOverErrors = try v(.rxOverErrors); txPackets = try v(.txPackets); txBytes = try v(.txBytes)
        txDropped = try v(.txDropped); txErrors = try v(.txErrors)
    }
}

extension LinkInfo {
    /// Reads the fields Plumb cares about from a libnl link object.
    init(_ l: OpaquePointer) {
        let flags = rtnl_link_get_flags(l)
        var nsid: Int32 = 0
        let hasNsid = rtnl_link_get_link_netnsid(l, &nsid) == 0
        let peer = rtnl_link_get_link(l)
        let master = rtnl_link_get_master(l)
        self.init(
            index: Int(rtnl_link_get_ifindex(l)),
            name: rtnl_link_get_name(l).map { String(cString: $0) } ?? "",
            kind: rtnl_link_get_type(l).map { String(cString: $0) },
            master: master > 0 ? Int(master) : nil,
            mtu: Int(rtnl_link_get_mtu(l)),
            up: flags & K.iffUp != 0,
            carrier: flags & K.iffLowerUp != 0,
            operUp: rtnl_link_get_operstate(l) == K.operUp,
            mac: NLAddress.mac(rtnl_link_get_addr(l)),
            alias: rtnl_link_get_ifalias(l).map { String(cString: $0) },
            peerIndex: peer > 0 ? Int(peer) : nil,
            linkNetnsID: hasNsid ? Int(nsid) : nil,
            txqlen: Int(rtnl_link_get_txqlen(l)),
            macvlanMode: Self.macvlanMode(l),
            ipvlanMode: Self.ipvlanMode(l),
            vlanID: rtnl_link_is_vlan(l) != 0 ? Int(rtnl_link_vlan_get_id(l)) : nil,
            vlanProtocol: rtnl_link_is_vlan(l) != 0 ? VLANProtocol(netlinkValue: UInt16(truncatingIfNeeded: rtnl_link_vlan_get_protocol(l))) : nil,
            stats: LinkStats(l))
    }

    /// The kernel's name of a macvlan's mode; nil for any other kind.
    static func macvlanMode(_ l: OpaquePointer) -> MacvlanMode? {
        guard rtnl_link_is_macvlan(l) != 0 else { return nil }
        let size = 32
        var buf = [CChar](repeating: 0, count: size)
        guard let text = rtnl_link_macvlan_mode2str(Int32(rtnl_link_macvlan_get_mode(l)), &buf, size) else { return nil }
        return MacvlanMode(rawValue: String(cString: text))
    }

    /// An ipvlan's mode; nil for any other kind.
    static func ipvlanMode(_ l: OpaquePointer) -> IpvlanMode? {
        guard rtnl_link_is_ipvlan(l) != 0 else { return nil }
        var mode: UInt16 = 0
        guard rtnl_link_ipvlan_get_mode(l, &mode) == 0 else { return nil }
        return IpvlanMode(kernelValue: mode)
    }
}

extension LinkStats {
    init(_ l: OpaquePointer) {
        func s(_ id: rtnl_link_stat_id_t) -> UInt64 { rtnl_link_get_stat(l, id) }
        rxPackets = s(RTNL_LINK_RX_PACKETS); rxBytes = s(RTNL_LINK_RX_BYTES)
        rxDropped = s(RTNL_LINK_RX_DROPPED); rxErrors = s(RTNL_LINK_RX_ERRORS)
        rxFifoErrors = s(RTNL_LINK_RX_FIFO_ERR); rxMissedErrors = s(RTNL_LINK_RX_MISSED_ERR)
        rxOverErrors = s(RTNL_LINK_RX_OVER_ERR); txPackets = s(RTNL_LINK_TX_PACKETS)
        txBytes = s(RTNL_LINK_TX_BYTES); txDropped = s(RTNL_LINK_TX_DROPPED); txErrors = s(RTNL_LINK_TX_ERRORS)
    }
}

extension RouteSocket {
    /// All links of this namespace. Equivalent to: `ip -s -d link show`.
    public func links() throws -> [LinkInfo] {
        var cache: OpaquePointer?
        try perform("RTM_GETLINK", "dump") { rtnl_link_alloc_cache(sock, AF_UNSPEC, &cache) }
        defer { nl_cache_free(cache) }
        return try withIpvlanFlags(collect(cache) { LinkInfo($0) })
    }

    /// One link by index or name, read fresh from the kernel (a cache is a snapshot).
    /// Equivalent to: `ip link show dev NAME`. nil when it does not exist.
    public func link(index: Int = 0, name: String? = nil) throws -> LinkInfo? {
        var out: OpaquePointer?
        do {
            try perform("RTM_GETLINK", name ?? "ifindex \(index)") {
                rtnl_link_get_kernel(sock, Int32(index), name, &out)
            }
        } catch let e as NetlinkError where e.errno == .noDevice {
            return nil
        }
        defer { rtnl_link_put(out) }
        return try withIpvlanFlags(out.map { [LinkInfo($0)] } ?? []).first
    }
}

/// Walks a libnl cache, converting each object.
func collect<T>(_ cache: OpaquePointer?, _ make: (OpaquePointer) -> T) -> [T] {
    var out: [T] = []
    var obj = nl_cache_get_first(cache)
    while let o = obj {
        out.append(make(o))
        obj = nl_cache_get_next(o)
    }
    return out
}
