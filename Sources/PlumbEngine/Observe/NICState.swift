import PlumbNetlink

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
    public var gro: Ethtool.Feature?
    public var irqs: [IRQ]
    /// Why a nil setting is nil: "rings" → "ETHTOOL_MSG_RINGS_GET eth1: … (EOPNOTSUPP)".
    public var unsupported: [String: String]
    /// Online CPUs, for `irqAffinity: spread`.
    public var onlineCPUs: [Int]

    public init(name: String, driver: String = "", rings: Ethtool.Rings? = nil, channels: Ethtool.Channels? = nil,
                coalesce: Ethtool.Coalesce? = nil, gro: Ethtool.Feature? = nil, irqs: [IRQ] = [],
                unsupported: [String: String] = [:], onlineCPUs: [Int] = []) {
        self.name = name; self.driver = driver; self.rings = rings; self.channels = channels
        self.coalesce = coalesce; self.gro = gro; self.irqs = irqs; self.unsupported = unsupported
        self.onlineCPUs = onlineCPUs
    }
}
