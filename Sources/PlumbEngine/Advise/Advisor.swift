import PlumbNetlink
import PlumbSystem

/// One finding: the counter that moved (or the setting seen), by how much, and the
/// manifest snippet that turns the knob the seeds name for it.
public struct Advice: Codable, Sendable, Equatable {
    /// "rings", "netdev_budget", "netdev_max_backlog", "irqAffinity", "channels", "rss", "gro", "rps".
    public var knob: String
    public var symptom: String
    /// "rx_missed_errors", "softnet_stat time_squeeze", "/proc/interrupts", "generic-receive-offload".
    public var counter: String
    /// How much the counter moved over the interval; nil for a setting read once.
    public var delta: UInt64?
    /// YAML to paste into the manifest.
    public var snippet: String
}

/// What `plumb show --nic NAME --advise` prints.
public struct AdviceReport: Codable, Sendable {
    public var nic: String
    public var driver: String
    public var intervalSeconds: Double
    public var advice: [Advice]
    /// What could not be read, and why: no advice is given from it.
    public var unreadable: [String: String]
}

/// The seeds' method as a pure function: two samples of the same NIC → each symptom
/// mapped to its knob. It advises only from what moved or what it read; a counter it
/// could not read yields a line in `unreadable`, never a guess.
public enum Advisor {
    /// A queue is "the busy one" when it took at least this share of the NIC's queue interrupts…
    static let busyShare = 0.8
    /// …out of at least this many (a quiet NIC proves nothing).
    static let busyMinimum: UInt64 = 1000

    public static func advise(before a: CounterSample, after b: CounterSample, seconds: Double) -> AdviceReport {
        var out: [Advice] = []
        out += rings(a, b)
        out += softnet(a, b)
        out += interrupts(a, b)
        out += channels(b)
        out += rss(b)
        out += gro(b)
        return AdviceReport(nic: b.nic, driver: b.driver, intervalSeconds: seconds, advice: out,
                            unreadable: a.unreadable.merging(b.unreadable) { _, new in new })
    }

    /// rx_fifo_errors / rx_missed_errors rising while the ring is below its maximum → `rings`.
    static func rings(_ a: CounterSample, _ b: CounterSample) -> [Advice] {
        guard let la = a.link, let lb = b.link, let r = b.rings, r.rx < r.rxMax else { return [] }
        return [("rx_missed_errors", lb.rxMissedErrors &- la.rxMissedErrors), ("rx_fifo_errors", lb.rxFifoErrors &- la.rxFifoErrors)]
            .filter { $0.1 > 0 }.prefix(1).map { counter, delta in
                Advice(knob: "rings", symptom: "the NIC ran out of rx descriptors while its rx ring is \(r.rx) of at most \(r.rxMax)",
                       counter: counter, delta: delta, snippet: nicSnippet(b.nic, "rings: {rx: \(r.rxMax)}"))
            }
    }

    /// time_squeeze → netdev_budget / netdev_budget_usecs; softnet drops → netdev_max_backlog.
    /// Host-wide: softnet_stat counts every NIC's packets on each CPU.
    static func softnet(_ a: CounterSample, _ b: CounterSample) -> [Advice] {
        guard let sa = a.softnet, let sb = b.softnet else { return [] }
        let d = sb.delta(since: sa)
        var out: [Advice] = []
        if d.totalTimeSqueeze > 0 {
            let budget = doubled(b.sysctls["net.core.netdev_budget"], default: 300)
            let usecs = doubled(b.sysctls["net.core.netdev_budget_usecs"], default: 2000)
            out.append(Advice(knob: "netdev_budget", symptom: "net_rx_action ran out of budget or time with packets left (host-wide)",
                              counter: "softnet_stat time_squeeze", delta: d.totalTimeSqueeze,
                              snippet: hostSnippet(["net.core.netdev_budget: \(budget)", "net.core.netdev_budget_usecs: \(usecs)"])))
        }
        if d.totalDropped > 0 {
            let backlog = doubled(b.sysctls["net.core.netdev_max_backlog"], default: 1000)
            out.append(Advice(knob: "netdev_max_backlog", symptom: "packets dropped because a CPU's backlog queue was full (host-wide)",
                              counter: "softnet_stat dropped", delta: d.totalDropped,
                              snippet: hostSnippet(["net.core.netdev_max_backlog: \(backlog)"])))
        }
        return out
    }

    /// All queue interrupts on one CPU → `irqAffinity: spread`; one queue taking nearly
    /// all of them → RSS spreads flows poorly (or one flow dominates): `rps` spreads the
    /// protocol work of that queue over other CPUs.
    static func interrupts(_ a: CounterSample, _ b: CounterSample) -> [Advice] {
        guard let ia = a.interrupts, let ib = b.interrupts, ib.count > 1 else { return [] }
        let deltas = ib.map { q -> (CounterSample.QueueInterrupts, [Int: UInt64]) in
            let before = ia.first { $0.irq == q.irq }?.perCPU ?? [:]
            return (q, q.perCPU.reduce(into: [:]) { moved, count in moved[count.key] = count.value &- (before[count.key] ?? 0) })
        }
        let total = deltas.reduce(UInt64(0)) { $0 + $1.1.values.reduce(0, +) }
        guard total > 0 else { return [] }
        var out: [Advice] = []
        let cpusUsed = Set(deltas.flatMap { $0.1.filter { $0.value > 0 }.map(\.key) })
        if cpusUsed.count == 1, b.onlineCPUs.count > 1, let cpu = cpusUsed.first {
            out.append(Advice(knob: "irqAffinity", symptom: "all \(ib.count) queue interrupts of \(b.nic) were served by CPU \(cpu)",
                              counter: "/proc/interrupts (irqs \(ib.map { String($0.irq) }.joined(separator: ",")))", delta: total,
                              snippet: nicSnippet(b.nic, "irqAffinity: spread")))
        }
        if total >= busyMinimum, let (q, d) = deltas.max(by: { $0.1.values.reduce(0, +) < $1.1.values.reduce(0, +) }) {
            let busy = d.values.reduce(0, +)
            if Double(busy) >= busyShare * Double(total) {
                out.append(Advice(knob: "rps", symptom: "one queue (\(q.name.isEmpty ? "irq \(q.irq)" : q.name)) took \(busy * 100 / total)% of \(b.nic)'s queue interrupts: its flows all hash to it",
                                  counter: "/proc/interrupts irq \(q.irq)", delta: busy,
                                  snippet: nicSnippet(b.nic, "rps: {cpus: spread, flowEntries: 4096}")))
            }
        }
        return out
    }

    /// Fewer queues than CPUs while the driver allows more → `channels`.
    static func channels(_ b: CounterSample) -> [Advice] {
        guard let c = b.channels, b.onlineCPUs.count > 1 else { return [] }
        let cpus = b.onlineCPUs.count
        if c.combinedMax > 0, c.combined + c.rx < cpus, c.combined < c.combinedMax {
            let want = min(c.combinedMax, cpus)
            return [Advice(knob: "channels", symptom: "\(c.combined) combined queues for \(cpus) CPUs; the driver allows \(c.combinedMax)",
                           counter: "ethtool -l combined", delta: nil, snippet: nicSnippet(b.nic, "channels: {combined: \(want)}"))]
        }
        if c.combinedMax == 0, c.rxMax > 0, c.rx < cpus, c.rx < c.rxMax {
            let want = min(c.rxMax, cpus)
            return [Advice(knob: "channels", symptom: "\(c.rx) rx queues for \(cpus) CPUs; the driver allows \(c.rxMax)",
                           counter: "ethtool -l rx", delta: nil, snippet: nicSnippet(b.nic, "channels: {rx: \(want)}"))]
        }
        return []
    }

    /// An RSS table that leaves some of the NIC's rx queues without an entry: flows never
    /// reach them → `rss: {equal: N}` over all of them.
    static func rss(_ b: CounterSample) -> [Advice] {
        guard let table = b.rss?.indirection, !table.isEmpty, let c = b.channels else { return [] }
        let queues = c.combined + c.rx
        let used = Set(table)
        guard queues > 1, used.count < queues else { return [] }
        return [Advice(knob: "rss", symptom: "the RSS table of \(b.nic) sends its \(table.count) entries to queue "
                       + used.sorted().map(String.init).joined(separator: ", ") + " only, of its \(queues) rx queues",
                       counter: "ethtool -x", delta: nil, snippet: nicSnippet(b.nic, "rss: {equal: \(queues)}"))]
    }

    /// GRO off where the driver lets it be on → `offloads: {gro: true}`.
    static func gro(_ b: CounterSample) -> [Advice] {
        guard let g = b.gro, !g.active, g.changeable else { return [] }
        return [Advice(knob: "gro", symptom: "generic receive offload is off: every packet climbs the stack alone",
                       counter: "generic-receive-offload", delta: nil, snippet: nicSnippet(b.nic, "offloads: {gro: true}"))]
    }

    static func doubled(_ text: String?, default d: Int) -> Int { (text.flatMap { Int($0.trimmingSpace()) } ?? d) * 2 }

    static func nicSnippet(_ nic: String, _ line: String) -> String {
        "nics:\n  - name: \(nic)\n    tuning:\n      \(line)\n"
    }

    static func hostSnippet(_ lines: [String]) -> String {
        "host:\n  sysctl:\n" + lines.map { "    \($0)\n" }.joined()
    }
}
