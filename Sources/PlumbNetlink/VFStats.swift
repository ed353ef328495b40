import CNetlink
import Glibc

/// The traffic counters the kernel reports for one VF (IFLA_VF_STATS in the PF's
/// RTM_NEWLINK), as the PF's driver counts them. libnl 3.7 parses six of them; the
/// kernel's rx/tx dropped (IFLA_VF_STATS_RX_DROPPED, _TX_DROPPED) it does not expose.
public struct VFStats: Sendable, Equatable, Codable {
    public var index: Int
    public var rxPackets: UInt64
    public var txPackets: UInt64
    public var rxBytes: UInt64
    public var txBytes: UInt64
    public var broadcast: UInt64
    public var multicast: UInt64

    public init(index: Int, rxPackets: UInt64 = 0, txPackets: UInt64 = 0, rxBytes: UInt64 = 0, txBytes: UInt64 = 0,
                broadcast: UInt64 = 0, multicast: UInt64 = 0) {
        self.index = index; self.rxPackets = rxPackets; self.txPackets = txPackets
        self.rxBytes = rxBytes; self.txBytes = txBytes; self.broadcast = broadcast; self.multicast = multicast
    }
}

extension RouteSocket {
    /// The counters of every VF of the PF with ifindex `pfIndex`, from one RTM_GETLINK with
    /// RTEXT_FILTER_VF (as `vfSettings` reads them); VFs the driver reports no counters for
    /// are left out. Equivalent to: `ip -s link show dev PF` (its `vf N` RX/TX lines).
    public func vfStats(pfIndex: Int, pfName: String? = nil) throws -> [VFStats] {
        var link: OpaquePointer?
        try perform("RTM_GETLINK", pfName ?? "ifindex \(pfIndex)") {
            rtnl_link_get_kernel(sock, Int32(pfIndex), nil, &link)
        }
        defer { rtnl_link_put(link) }
        guard let link else { return [] }
        var count: UInt32 = 0
        guard rtnl_link_get_num_vf(link, &count) == 0, count > 0, rtnl_link_has_vf_list(link) != 0 else { return [] }
        return (0..<count).compactMap { i in
            guard let vf = rtnl_link_vf_get(link, i) else { return nil }
            defer { rtnl_link_vf_put(vf) }
            return VFStats(vf)
        }
    }
}

extension VFStats {
    /// nil when the kernel sent no IFLA_VF_STATS for this VF (libnl: NLE_NOATTR).
    init?(_ vf: OpaquePointer) {
        var index: UInt32 = 0
        _ = rtnl_link_vf_get_index(vf, &index)
        func stat(_ id: rtnl_link_vf_stats_t) -> UInt64? {
            var v: UInt64 = 0
            return rtnl_link_vf_get_stat(vf, id, &v) == 0 ? v : nil
        }
        guard let rxPackets = stat(RTNL_LINK_VF_STATS_RX_PACKETS) else { return nil }
        self.init(index: Int(index), rxPackets: rxPackets, txPackets: stat(RTNL_LINK_VF_STATS_TX_PACKETS) ?? 0,
                  rxBytes: stat(RTNL_LINK_VF_STATS_RX_BYTES) ?? 0, txBytes: stat(RTNL_LINK_VF_STATS_TX_BYTES) ?? 0,
                  broadcast: stat(RTNL_LINK_VF_STATS_BROADCAST) ?? 0, multicast: stat(RTNL_LINK_VF_STATS_MULTICAST) ?? 0)
    }
}
