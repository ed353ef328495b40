import CNetlink
import Glibc

/// The traffic counters the kernel reports for one VF (IFLA_VF_STATS in the PF's
/// RTM_NEWLINK), as the PF's driver counts them (a driver without the hook reports zeros).
public struct VFStats: Sendable, Equatable, Codable {
    public var index: Int
    public var rxPackets: UInt64
    public var txPackets: UInt64
    public var rxBytes: UInt64
    public var txBytes: UInt64
    public var broadcast: UInt64
    public var multicast: UInt64
    /// nil from kernels before 4.20, which do not send them.
    public var rxDropped: UInt64?
    public var txDropped: UInt64?

    public init(index: Int, rxPackets: UInt64 = 0, txPackets: UInt64 = 0, rxBytes: UInt64 = 0, txBytes: UInt64 = 0,
                broadcast: UInt64 = 0, multicast: UInt64 = 0, rxDropped: UInt64? = nil, txDropped: UInt64? = nil) {
        self.index = index; self.rxPackets = rxPackets; self.txPackets = txPackets
        self.rxBytes = rxBytes; self.txBytes = txBytes; self.broadcast = broadcast; self.multicast = multicast
        self.rxDropped = rxDropped; self.txDropped = txDropped
    }
}

extension RouteSocket {
    /// The counters of every VF of the PF with ifindex `pfIndex`, by VF number; VFs the
    /// kernel sent no counters for are left out. Read raw (CNetlink's `plumb_vf_stats_get`):
    /// libnl 3.7 parses six of the eight counters and not the dropped ones.
    /// Equivalent to: `ip -s link show dev PF` (its `vf N` RX/TX lines).
    public func vfStats(pfIndex: Int, pfName: String? = nil) throws -> [VFStats] {
        // A PF has at most 256 VFs (PCIe's 8-bit function space per bus, igb 7, mlx5 127).
        var items = [plumb_vf_stats](repeating: plumb_vf_stats(), count: 256)
        var count = 0
        try items.withUnsafeMutableBufferPointer { buf in
            var list = plumb_vf_stats_list(items: buf.baseAddress, capacity: Int32(buf.count), count: 0)
            try perform("RTM_GETLINK", pfName ?? "ifindex \(pfIndex)") { plumb_vf_stats_get(sock, Int32(pfIndex), &list) }
            count = Int(list.count)
        }
        return items.prefix(count).map(VFStats.init)
    }

    /// The VF counters in one raw RTM_NEWLINK message (what the kernel sends): for tests.
    public static func vfStats(inMessage bytes: [UInt8]) -> [VFStats] {
        var items = [plumb_vf_stats](repeating: plumb_vf_stats(), count: 256)
        var message = bytes
        var count = 0
        guard bytes.count >= MemoryLayout<nlmsghdr>.size else { return [] }
        message.withUnsafeMutableBytes { raw in
            items.withUnsafeMutableBufferPointer { buf in
                var list = plumb_vf_stats_list(items: buf.baseAddress, capacity: Int32(buf.count), count: 0)
                plumb_vf_stats_parse(raw.baseAddress!.assumingMemoryBound(to: nlmsghdr.self), &list)
                count = Int(list.count)
            }
        }
        return items.prefix(count).map(VFStats.init)
    }
}

extension VFStats {
    init(_ s: plumb_vf_stats) {
        let dropped = s.flags & UInt32(PLUMB_VF_HAS_DROPPED) != 0
        self.init(index: Int(s.vf), rxPackets: s.rx_packets, txPackets: s.tx_packets, rxBytes: s.rx_bytes,
                  txBytes: s.tx_bytes, broadcast: s.broadcast, multicast: s.multicast,
                  rxDropped: dropped ? s.rx_dropped : nil, txDropped: dropped ? s.tx_dropped : nil)
    }
}
