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

/// Equivalent to: `ethtool -C NIC [adaptive-rx on|off] [rx-usecs N] [rx-frames N]`.
public struct CoalesceChange: Hashable, Sendable, Codable {
    public var nic: String
    public var adaptiveRx: Change<Bool>?
    public var rxUsecs: Change<Int>?
    public var rxFrames: Change<Int>?
}

/// Equivalent to: `ethtool -K NIC gro on|off`.
public struct OffloadChange: Hashable, Sendable, Codable {
    public var nic: String
    public var gro: Change<Bool>
}

/// Equivalent to: `echo CPUS > /proc/irq/IRQ/smp_affinity_list`.
public struct IRQAffinityChange: Hashable, Sendable, Codable {
    public var irq: Int
    public var nic: String
    public var queue: String
    public var cpus: Change<CPUSet>
}
