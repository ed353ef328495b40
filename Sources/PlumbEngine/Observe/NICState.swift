import PlumbNetlink
import PlumbSystem

/// One NIC's receive path as the kernel reports it (`ethtool -g -l -c -k`,
/// /proc/irq). A setting the driver cannot report is nil with the reason kept,
/// so a manifest that asks for it gets an error naming the driver.
public struct NICState: Codable, Sendable, Equatable {
    public struct IRQ: Codable, Sendable, Equatable {
        public var irq: Int
        public var name: String
        public var cpus: String   // smp_affinity_list, e.g. "0-1"
        public init(irq: Int, name: String, cpus: String) { self.irq = irq; self.name = name; self.cpus = cpus }
    }

    public var name: String
    public var driver: String
    public var rings: Ethtool.Rings?
    public var channels: Ethtool.Channels?
    public var coalesce: Ethtool.Coalesce?
    /// Every netdev feature (`ethtool -k`); nil when unreadable.
    public var features: Ethtool.Features?
    public var irqs: [IRQ]
    /// Why a nil setting is nil: "rings" → "ETHTOOL_MSG_RINGS_GET eth1: … (EOPNOTSUPP)".
    public var unsupported: [String: String]
    /// Online CPUs, for `irqAffinity: spread`.
    public var onlineCPUs: [Int]
    /// The CPUs local to the NIC's device (`device/local_cpulist`); nil without a device.
    public var localCPUs: [Int]?
    /// `ip link` qlen.
    public var txqueuelen: Int?
    /// rx-N (RPS/RFS) then tx-N (XPS), as sysfs shows them.
    public var queues: [QueueSteeringState] = []

    /// Generic receive offload.
    public var gro: Ethtool.Feature? { features?.gro }
    /// The CPUs a `spread` policy uses: the NIC's local CPUs when its device says, else every online CPU.
    public var spreadCPUs: [Int] { localCPUs.flatMap { $0.isEmpty ? nil : $0 } ?? onlineCPUs }
    public var rxQueues: [QueueSteeringState] { queues.filter(\.isRx) }
    public var txQueues: [QueueSteeringState] { queues.filter { !$0.isRx } }

    public init(name: String, driver: String = "", rings: Ethtool.Rings? = nil, channels: Ethtool.Channels? = nil,
                coalesce: Ethtool.Coalesce? = nil, gro: Ethtool.Feature? = nil, irqs: [IRQ] = [],
                unsupported: [String: String] = [:], onlineCPUs: [Int] = []) {
        self.name = name; self.driver = driver; self.rings = rings; self.channels = channels
        self.coalesce = coalesce; self.features = gro.map { Ethtool.Features(byName: [Ethtool.groFeature: $0]) }
        self.irqs = irqs; self.unsupported = unsupported
        self.onlineCPUs = onlineCPUs
    }
}
