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
