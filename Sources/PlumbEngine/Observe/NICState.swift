import PlumbNetlink
import PlumbSystem
import PlumbTypes

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
    /// The device's NUMA node (`device/numa_node`); nil when it does not say.
    public var numaNode: Int?
    /// `ip link` qlen.
    public var txqueuelen: Int?
    /// `ethtool -x`: nil when the driver has no RSS (the reason under `unsupported["rss"]`).
    public var rss: Ethtool.RSS?
    /// `ethtool -n NIC rx-flow-hash TYPE` for each flow type the driver answers for.
    public var hashFields: [RxFlowType: RxHashFields] = [:]
    /// A running irqbalance (looked for when the NIC has queue interrupts).
    public var irqbalance: IRQBalanceProcess?
    /// rx-N (RPS/RFS) then tx-N (XPS), as sysfs shows them.
    public var queues: [QueueSteeringState] = []

    /// Generic receive offload.
    public var gro: Ethtool.Feature? { features?.gro }
    /// The CPUs a `spread` policy hands out, in order: the online CPUs local to the NIC's
    /// device (its NUMA node) first, then the other online CPUs.
    public var spreadCPUs: [Int] { NUMA.spreadOrder(local: localCPUs.map { CPUSet($0) }, online: CPUSet(onlineCPUs)) }
    /// Where `spread` starts, for plan and verify text: "NUMA node 1 (CPUs 2-3) first".
    public var spreadOrigin: String {
        guard let local = localCPUs, !local.isEmpty else { return "online CPUs \(CPUSet(onlineCPUs))" }
        return (numaNode.map { "NUMA node \($0) " } ?? "local ") + "CPUs \(CPUSet(local)) first, then the rest of \(CPUSet(onlineCPUs))"
    }
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

extension NICState {
    /// sysfs shows the devices of the namespace it was mounted in: a /sys from another
    /// namespace may show another device under this name. Its queues are dropped then
    /// (and `rps:`/`xps:` refused with why), never read as this NIC's or written.
    mutating func checkQueuesAreOurs(_ ifindex: Int, sysfs: Int?) {
        guard sysfs != ifindex else { return }
        queues = []
        localCPUs = nil
        numaNode = nil
        unsupported["queues"] = "/sys/class/net/\(name) is " + (sysfs.map { "ifindex \($0)" } ?? "absent")
            + ", not this namespace's \(name) (ifindex \(ifindex)): this /sys belongs to another network namespace; mount sysfs in this one"
    }
}

/// Observations recorded before features, queues and txqueuelen were read (the planner
/// fixtures) still decode: what they lack is absent, and their `gro` becomes the feature.
extension NICState {
    enum CodingKeys: String, CodingKey {
        case name, driver, rings, channels, coalesce, features, gro, irqs, unsupported, onlineCPUs, localCPUs, numaNode, irqbalance, rss, hashFields, txqueuelen, queues
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name), driver: try c.decode(String.self, forKey: .driver),
                  rings: try c.decodeIfPresent(Ethtool.Rings.self, forKey: .rings),
                  channels: try c.decodeIfPresent(Ethtool.Channels.self, forKey: .channels),
                  coalesce: try c.decodeIfPresent(Ethtool.Coalesce.self, forKey: .coalesce),
                  gro: try c.decodeIfPresent(Ethtool.Feature.self, forKey: .gro),
                  irqs: try c.decode([IRQ].self, forKey: .irqs),
                  unsupported: try c.decode([String: String].self, forKey: .unsupported),
                  onlineCPUs: try c.decode([Int].self, forKey: .onlineCPUs))
        if let f = try c.decodeIfPresent(Ethtool.Features.self, forKey: .features) { features = f }
        localCPUs = try c.decodeIfPresent([Int].self, forKey: .localCPUs)
        numaNode = try c.decodeIfPresent(Int.self, forKey: .numaNode)
        irqbalance = try c.decodeIfPresent(IRQBalanceProcess.self, forKey: .irqbalance)
        rss = try c.decodeIfPresent(Ethtool.RSS.self, forKey: .rss)
        hashFields = try c.decodeIfPresent([RxFlowType: RxHashFields].self, forKey: .hashFields) ?? [:]
        txqueuelen = try c.decodeIfPresent(Int.self, forKey: .txqueuelen)
        queues = try c.decodeIfPresent([QueueSteeringState].self, forKey: .queues) ?? []
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name); try c.encode(driver, forKey: .driver)
        try c.encodeIfPresent(rings, forKey: .rings); try c.encodeIfPresent(channels, forKey: .channels)
        try c.encodeIfPresent(coalesce, forKey: .coalesce); try c.encodeIfPresent(features, forKey: .features)
        try c.encode(irqs, forKey: .irqs); try c.encode(unsupported, forKey: .unsupported)
        try c.encode(onlineCPUs, forKey: .onlineCPUs); try c.encodeIfPresent(localCPUs, forKey: .localCPUs)
        try c.encodeIfPresent(numaNode, forKey: .numaNode)
        try c.encodeIfPresent(irqbalance, forKey: .irqbalance)
        try c.encodeIfPresent(rss, forKey: .rss)
        if !hashFields.isEmpty { try c.encode(hashFields, forKey: .hashFields) }
        try c.encodeIfPresent(txqueuelen, forKey: .txqueuelen); try c.encode(queues, forKey: .queues)
    }
}
