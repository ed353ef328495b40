import CNetlink
import Glibc
import PlumbTypes

extension VFLinkState {
    /// IFLA_VF_LINK_STATE_AUTO / _ENABLE / _DISABLE.
    var kernelValue: UInt32 {
        switch self {
        case .auto: return 0
        case .enable: return 1
        case .disable: return 2
        }
    }

    init?(kernelValue: UInt32) {
        switch kernelValue {
        case 0: self = .auto
        case 1: self = .enable
        case 2: self = .disable
        default: return nil
        }
    }
}

/// The PF-side settings of one VF: one `vf N …` line of `ip link show PF`.
public struct VFSettings: Sendable, Equatable, Codable {
    public var index: Int
    /// The administratively set MAC; nil when the PF reports 00:00:00:00:00:00 (none set).
    public var mac: MACAddress?
    public var vlan: VFVLAN
    /// nil when the driver does not report it.
    public var spoofCheck: Bool?
    public var trust: Bool?
    /// Mb/s, 0 = unlimited.
    public var maxTxRate: Int
    public var minTxRate: Int
    /// nil when the kernel sent none.
    public var linkState: VFLinkState?
    /// Whether the VF may query the PF's RSS configuration (IFLA_VF_RSS_QUERY_EN); nil when
    /// the driver does not report it (the kernel sends -1: its get_vf_config leaves it unset).
    public var queryRSS: Bool?

    public init(index: Int, mac: MACAddress? = nil, vlan: VFVLAN = VFVLAN(id: 0), spoofCheck: Bool? = nil,
                trust: Bool? = nil, maxTxRate: Int = 0, minTxRate: Int = 0, linkState: VFLinkState? = nil,
                queryRSS: Bool? = nil) {
        self.index = index; self.mac = mac; self.vlan = vlan; self.spoofCheck = spoofCheck; self.trust = trust
        self.maxTxRate = maxTxRate; self.minTxRate = minTxRate; self.linkState = linkState; self.queryRSS = queryRSS
    }

    public var vlanID: Int { vlan.id }
    public var qos: Int { vlan.qos }
    public var vlanProto: VLANProtocol { vlan.proto }
}

extension RouteSocket {
    /// The PF-side settings of every VF of the PF with ifindex `pfIndex` (`pfName` names
    /// it in errors), by VF index; empty for a device without VFs. Read fresh with one
    /// RTM_GETLINK carrying IFLA_EXT_MASK = RTEXT_FILTER_VF (libnl 3.7's
    /// `rtnl_link_get_kernel` asks for it), from the namespace the PF is in.
    /// Equivalent to: `ip link show dev PF` (its `vf N …` lines).
    public func vfSettings(pfIndex: Int, pfName: String? = nil) throws -> [VFSettings] {
        var link: OpaquePointer?
        try perform("RTM_GETLINK", pfName ?? "ifindex \(pfIndex)") {
            rtnl_link_get_kernel(sock, Int32(pfIndex), nil, &link)
        }
        defer { rtnl_link_put(link) }
        guard let link else { return [] }
        return Self.vfSettings(of: link)
    }

    /// One VF's settings; nil when the PF has no VF `vf`.
    /// Equivalent to: `ip link show dev PF | grep "vf N "`.
    public func vfSettings(pfIndex: Int, pfName: String? = nil, vf: Int) throws -> VFSettings? {
        try vfSettings(pfIndex: pfIndex, pfName: pfName).first { $0.index == vf }
    }

    static func vfSettings(of link: OpaquePointer) -> [VFSettings] {
        var count: UInt32 = 0
        guard rtnl_link_get_num_vf(link, &count) == 0, count > 0, rtnl_link_has_vf_list(link) != 0 else { return [] }
        return (0..<count).compactMap { i in
            guard let vf = rtnl_link_vf_get(link, i) else { return nil }
            defer { rtnl_link_vf_put(vf) }
            return VFSettings(vf)
        }
    }
}

extension VFSettings {
    /// Reads a libnl VF object (`rtnl_link_vf_get_*`); absent attributes read as
    /// the kernel's defaults (no VLAN, no rate) or nil (not reported). libnl leaves out
    /// IFLA_VF_SPOOFCHK, _TRUST and _RSS_QUERY_EN when the kernel sent -1 (the driver's
    /// get_vf_config did not fill them in): nil there is what the driver does not report.
    init(_ vf: OpaquePointer) {
        var index: UInt32 = 0
        _ = rtnl_link_vf_get_index(vf, &index)
        var addr: OpaquePointer?
        let mac = rtnl_link_vf_get_addr(vf, &addr) == 0 ? NLAddress.mac(addr) : nil
        var rate = nl_vf_rate()
        let hasRate = rtnl_link_vf_get_rate(vf, &rate) == 0
        let newAPI = rate.api == Int32(RTNL_LINK_VF_RATE_API_NEW.rawValue)
        self.init(index: Int(index), mac: mac?.isZero == true ? nil : mac, vlan: Self.vlan(vf),
                  spoofCheck: Self.flag(vf, rtnl_link_vf_get_spoofchk), trust: Self.flag(vf, rtnl_link_vf_get_trust),
                  maxTxRate: hasRate ? Int(newAPI ? rate.max_tx_rate : rate.rate) : 0,
                  minTxRate: hasRate && newAPI ? Int(rate.min_tx_rate) : 0,
                  linkState: Self.linkState(vf), queryRSS: Self.flag(vf, rtnl_link_vf_get_rss_query_en))
    }

    private static func flag(_ vf: OpaquePointer, _ get: (OpaquePointer?, UnsafeMutablePointer<UInt32>?) -> Int32) -> Bool? {
        var v: UInt32 = 0
        return get(vf, &v) == 0 ? v != 0 : nil
    }

    private static func linkState(_ vf: OpaquePointer) -> VFLinkState? {
        var v: UInt32 = 0
        return rtnl_link_vf_get_linkstate(vf, &v) == 0 ? VFLinkState(kernelValue: v) : nil
    }

    /// The first entry of the VF's VLAN list. libnl has already converted the protocol
    /// to host order here (0x8100, 0x88a8), unlike on the set path (docs/ARCHITECTURE.md §6).
    private static func vlan(_ vf: OpaquePointer) -> VFVLAN {
        var list: UnsafeMutablePointer<nl_vf_vlans_t>?
        guard rtnl_link_vf_get_vlans(vf, &list) == 0, let list else { return VFVLAN(id: 0) }
        defer { rtnl_link_vf_vlan_put(list) }
        guard list.pointee.size > 0, let first = list.pointee.vlans?.pointee else { return VFVLAN(id: 0) }
        return VFVLAN(id: Int(first.vf_vlan), qos: Int(first.vf_vlan_qos),
                      proto: first.vf_vlan_proto == VFProto.dot1ad ? .dot1ad : .dot1q)
    }
}

/// Ethertypes of VF VLAN protocols.
enum VFProto {
    static let dot1q: UInt16 = 0x8100   // ETH_P_8021Q
    static let dot1ad: UInt16 = 0x88a8  // ETH_P_8021AD
}
