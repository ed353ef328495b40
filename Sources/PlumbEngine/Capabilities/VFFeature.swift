/// One PF-side VF setting a PF driver may or may not implement: a `ndo_set_vf_*` hook of
/// its `net_device_ops`, or a mode of one. The raw value is the manifest key that asks for it.
public enum VFFeature: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case mac               // ndo_set_vf_mac
    case vlan              // ndo_set_vf_vlan
    case qos               // ndo_set_vf_vlan's qos argument
    case vlanProto8021ad = "vlanProto"   // ndo_set_vf_vlan with vlan_proto 802.1ad
    case spoofCheck        // ndo_set_vf_spoofchk
    case trust             // ndo_set_vf_trust
    case linkState         // ndo_set_vf_link_state
    case minTxRate         // ndo_set_vf_rate's min_tx_rate
    case maxTxRate         // ndo_set_vf_rate's max_tx_rate
    case queryRSS          // ndo_set_vf_rss_query_en

    /// What it is, in messages: "link state", "802.1ad VLANs".
    public var label: String {
        switch self {
        case .mac: return "a VF MAC"
        case .vlan: return "a VF port VLAN"
        case .qos: return "a VF VLAN priority (qos)"
        case .vlanProto8021ad: return "802.1ad VF VLANs"
        case .spoofCheck: return "VF spoof checking"
        case .trust: return "VF trust"
        case .linkState: return "a VF's link state"
        case .minTxRate: return "a VF's minimum transmit rate"
        case .maxTxRate: return "a VF's maximum transmit rate"
        case .queryRSS: return "a VF's RSS query permission"
        }
    }

    public static func < (a: VFFeature, b: VFFeature) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// How a PF's driver changes a non-zero VF count.
public enum NumVFsRule: String, Sendable, Hashable, Codable {
    /// 0 first, then the new count (the PCI core's sriov_numvfs refuses N → M with EBUSY;
    /// netdevsim's own attribute does the same): every live VF is destroyed.
    case throughZero
    /// Straight from one count to another.
    case direct
}

