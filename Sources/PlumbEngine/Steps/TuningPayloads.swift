import PlumbNetlink
import PlumbTypes

/// Equivalent to: `ethtool -G NIC [rx N] [tx N]`.
public struct RingsChange: Hashable, Sendable, Codable {
    public var nic: String
    public var rx: Change<Int>?
    public var tx: Change<Int>?
}

/// Equivalent to: `ethtool -L NIC [combined N] [rx N] [tx N]`.
public struct ChannelsChange: Hashable, Sendable, Codable {
    public var nic: String
    public var combined: Change<Int>?
    public var rx: Change<Int>?
    public var tx: Change<Int>?
}

/// Equivalent to: `ethtool -C NIC [adaptive-rx on|off] [rx-usecs N] [tx-frames-irq N] …`, one
/// message for every parameter (a switch's values are 0/1).
public struct CoalesceChange: Hashable, Sendable, Codable {
    public var nic: String
    public var values: [Ethtool.CoalesceParam: Change<Int>]
    public init(nic: String, values: [Ethtool.CoalesceParam: Change<Int>] = [:]) { self.nic = nic; self.values = values }
    public var isEmpty: Bool { values.isEmpty }
}

/// Equivalent to: `ethtool -K NIC NAME on|off`, NAME as the manifest spells it (a
/// name `ethtool -k` prints, or its short form); `features` are the kernel features it
/// stands for on this device, each with the value it replaces.
public struct OffloadChange: Hashable, Sendable, Codable {
    public var nic: String
    public var name: String
    public var features: [String: Change<Bool>]
    public init(nic: String, name: String, features: [String: Change<Bool>]) {
        self.nic = nic; self.name = name; self.features = features
    }
    /// The value asked for (every feature of one change goes the same way).
    public var on: Bool { features.values.first?.to ?? false }
}

/// Equivalent to: `ip link set NIC txqueuelen N`.
public struct TxQueueLenChange: Hashable, Sendable, Codable {
    public var nic: String
    public var length: Change<Int>
}

/// One queue's steering. Equivalent to: `echo MASK > /sys/class/net/NIC/queues/rx-N/rps_cpus;
/// echo N > …/rx-N/rps_flow_cnt` (RPS, RFS), or `echo MASK > …/tx-N/xps_cpus` (XPS).
public struct QueueSteeringChange: Hashable, Sendable, Codable {
    public var nic: String
    public var queue: String
    public var cpus: Change<CPUSet>?
    public var flowCount: Change<Int>?
    public var isEmpty: Bool { cpus == nil && flowCount == nil }
}

/// Equivalent to: `echo CPUS > /proc/irq/IRQ/smp_affinity_list`.
public struct IRQAffinityChange: Hashable, Sendable, Codable {
    public var irq: Int
    public var nic: String
    public var queue: String
    public var cpus: Change<CPUSet>
}

/// Equivalent to: `ethtool -X NIC equal N | weight W0 W1 … [hkey KEY]` (ETHTOOL_SRSSH: the
/// kernel's only RSS write in 6.12). One ioctl for table and key.
public struct RSSChange: Hashable, Sendable, Codable {
    public var nic: String
    /// The rx queue of each table entry.
    public var indirection: Change<[Int]>?
    public var key: Change<[UInt8]>?
    /// How the manifest put the table ("equal 2", "weight 1 3"); nil for a table put back.
    public var table: String?
    public init(nic: String, indirection: Change<[Int]>? = nil, key: Change<[UInt8]>? = nil, table: String? = nil) {
        self.nic = nic; self.indirection = indirection; self.key = key; self.table = table
    }
    public var isEmpty: Bool { indirection == nil && key == nil }

    /// `ethtool -X eth1 equal 2 hkey 6d:5a:…`.
    var command: String {
        var text = "ethtool -X \(nic)"
        if let i = indirection {
            text += " " + (table ?? "<the \(i.to.count)-entry table it had, over queues \(Set(i.to).sorted().map(String.init).joined(separator: ","))>")
        }
        if let k = key { text += " hkey " + RSSChange.hex(k.to) }
        return text
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
    }
}

/// Equivalent to: `ethtool -N NIC rx-flow-hash FLOW FIELDS` (ETHTOOL_SRXFH).
public struct RxHashChange: Hashable, Sendable, Codable {
    public var nic: String
    public var flow: RxFlowType
    public var fields: Change<RxHashFields>
    public init(nic: String, flow: RxFlowType, fields: Change<RxHashFields>) { self.nic = nic; self.flow = flow; self.fields = fields }
}
