import PlumbNetlink
import PlumbSystem

/// One reading of a NIC's receive-path counters and settings: what the seeds look at by
/// hand (`ip -s link`, `ethtool -g -l -k`, /proc/net/softnet_stat, /proc/interrupts,
/// the net.core sysctls). Two of them, some seconds apart, are the advisor's input. What
/// could not be read is nil, with why in `unreadable`.
public struct CounterSample: Sendable {
    /// One queue interrupt's count on each CPU (the /proc/interrupts columns).
    public struct QueueInterrupts: Sendable, Equatable {
        public var irq: Int
        public var name: String
        public var perCPU: [Int: UInt64]
        public init(irq: Int, name: String, perCPU: [Int: UInt64]) { self.irq = irq; self.name = name; self.perCPU = perCPU }
        public var total: UInt64 { perCPU.values.reduce(0, +) }
    }

    public var nic: String
    public var driver: String
    public var link: LinkStats?
    public var softnet: SoftnetStat?
    public var interrupts: [QueueInterrupts]?
    public var rings: Ethtool.Rings?
    public var channels: Ethtool.Channels?
    public var gro: Ethtool.Feature?
    /// The RSS indirection table (`ethtool -x`); nil when the driver has none.
    public var rss: Ethtool.RSS?
    public var onlineCPUs: [Int]
    /// net.core.netdev_budget, netdev_budget_usecs, netdev_max_backlog (absent outside the initial namespace).
    public var sysctls: [String: String]
    /// What was not read, and why: "rings" → "ETHTOOL_MSG_RINGS_GET vt0: … (EOPNOTSUPP)".
    public var unreadable: [String: String]

    public init(nic: String, driver: String = "", link: LinkStats? = nil, softnet: SoftnetStat? = nil,
                interrupts: [QueueInterrupts]? = nil, rings: Ethtool.Rings? = nil, channels: Ethtool.Channels? = nil,
                gro: Ethtool.Feature? = nil, onlineCPUs: [Int] = [], sysctls: [String: String] = [:],
                unreadable: [String: String] = [:]) {
        self.nic = nic; self.driver = driver; self.link = link; self.softnet = softnet; self.interrupts = interrupts
        self.rings = rings; self.channels = channels; self.gro = gro; self.onlineCPUs = onlineCPUs
        self.sysctls = sysctls; self.unreadable = unreadable
    }

    /// The queue interrupts of `irqs` as /proc/interrupts counts them.
    public static func queueInterrupts(_ irqs: [QueueIRQ], in table: InterruptsTable) -> [QueueInterrupts] {
        irqs.compactMap { q in
            guard let row = table[q.irq] else { return nil }
            var perCPU: [Int: UInt64] = [:]
            for (column, count) in row.counts.enumerated() where column < table.cpus.count { perCPU[table.cpus[column]] = count }
            return QueueInterrupts(irq: q.irq, name: q.name, perCPU: perCPU)
        }
    }
}

/// Reads a `CounterSample` through the kernel seam.
public struct CounterSampler {
    public static let sysctlKeys = ["net.core.netdev_budget", "net.core.netdev_budget_usecs", "net.core.netdev_max_backlog"]
    let kernel: any Kernel

    public init(kernel: any Kernel) { self.kernel = kernel }

    public func sample(_ nic: String) throws -> CounterSample {
        guard let link = try kernel.links(in: .host).link(name: nic) else {
            throw NetlinkError(operation: "RTM_GETLINK", object: "\(nic) in the host namespace", errno: .noDevice)
        }
        let state = NICObserver(ethtool: try kernel.ethtool(in: .host), proc: kernel.proc).observe(nic)
        var s = CounterSample(nic: nic, driver: state.driver, link: link.stats, rings: state.rings, channels: state.channels,
                              gro: state.gro, onlineCPUs: state.onlineCPUs, unreadable: state.unsupported)
        s.rss = state.rss
        // Only what the advisor reads: coalescing, queue steering and hash fields advise nothing
        // here, and a NIC without RSS (veth) simply gets no RSS advice.
        for key in s.unreadable.keys where ["features", "queues", "coalesce", "rss"].contains(key) || key.hasPrefix("rx-flow-hash") {
            s.unreadable[key] = nil
        }
        s.softnet = kernel.proc.softnet()
        if s.softnet == nil { s.unreadable["softnet"] = "cannot read \(SoftnetStat.path)" }
        let irqs = (try? kernel.proc.queueIRQs(of: nic)) ?? []
        if irqs.isEmpty {
            s.unreadable["interrupts"] = "\(nic) has no queue interrupts (no device/msi_irqs): per-queue load and IRQ placement cannot be judged"
        } else if let table = kernel.proc.interrupts() {
            s.interrupts = CounterSample.queueInterrupts(irqs, in: table)
        } else {
            s.unreadable["interrupts"] = "cannot read \(InterruptsTable.path)"
        }
        for key in Self.sysctlKeys {
            if let v = try? kernel.proc.sysctl(key) { s.sysctls[key] = v } else {
                s.unreadable[key] = "absent here: net.core settings exist only in the initial network namespace"
            }
        }
        return s
    }
}
