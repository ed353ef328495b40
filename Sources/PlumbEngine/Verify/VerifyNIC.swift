import PlumbManifest
import PlumbNetlink
import PlumbSystem

/// The receive-path report of one NIC: what the seeds inspect by hand with
/// `ethtool -g -l -c -k -S`, /proc/interrupts and /proc/irq/N/smp_affinity_list.
public struct NICReport: Codable, Sendable {
    public var name: String
    public var driver: String
    public var ok: Bool
    public var checks: [Check]
    /// What the NIC's driver can do with VFs (nil: the NIC has no SR-IOV).
    public var sriov: SRIOVCapabilities?
    public init(name: String, driver: String, checks: [Check]) {
        self.name = name; self.driver = driver; self.checks = checks
        ok = !checks.contains { $0.status == .fail }
    }
}

public enum NICReporter {
    /// Checks declared tuning against `s` and adds the report rows and warnings.
    public static func report(_ s: NICState, tuning t: Tuning?, stats: LinkStats?) -> NICReport {
        var c: [Check] = []
        c.append(rings(s, t?.rings, stats))
        c.append(channels(s, t?.channels))
        c.append(coalesce(s, t?.coalesce))
        c.append(gro(s, t?.offloads?.gro))
        c += features(s, t?.offloads)
        c += irqs(s, t?.irqAffinity)
        c += irqbalance(s, t?.irqAffinity)
        c += txqueuelen(s, t?.txqueuelen)
        c += steering(s, t?.rps, rx: true)
        c += steering(s, t?.xps, rx: false)
        c += rss(s, t?.rss, channels: t?.channels)
        if let stats { c.append(counters(stats)) }
        return NICReport(name: s.name, driver: s.driver, checks: c)
    }

    static func status(_ ok: Bool, declared: Bool) -> Check.Status { ok ? .pass : (declared ? .fail : .warn) }

    static func rings(_ s: NICState, _ want: Tuning.Rings?, _ stats: LinkStats?) -> Check {
        guard let r = s.rings else { return Check("rings", s.name, want == nil ? .skip : .fail, expected: "readable", observed: s.unsupported["rings"] ?? "?", evidence: [.ethtool]) }
        let ok = (want?.rx.map { $0 == r.rx } ?? true) && (want?.tx.map { $0 == r.tx } ?? true)
        let observed = "rx \(r.rx)/\(r.rxMax) tx \(r.tx)/\(r.txMax)"
        if !ok { return Check("rings", s.name, .fail, expected: "rx \(want?.rx.map(String.init) ?? "-") tx \(want?.tx.map(String.init) ?? "-")", observed: observed, evidence: [.ethtool]) }
        // The seeds' advice: a small ring while the NIC drops for want of buffers.
        let starving = (stats?.rxMissedErrors ?? 0) + (stats?.rxFifoErrors ?? 0) > 0 && r.rx < r.rxMax
        return Check("rings", s.name, starving ? .warn : .pass, expected: want == nil ? "report" : "as declared",
                     observed: observed + (starving ? " — rx_missed/fifo errors while rx ring is below its maximum: consider rings.rx: \(r.rxMax)" : ""), evidence: [.ethtool])
    }

    static func channels(_ s: NICState, _ want: Tuning.Channels?) -> Check {
        guard let ch = s.channels else { return Check("channels", s.name, want == nil ? .skip : .fail, expected: "readable", observed: s.unsupported["channels"] ?? "?", evidence: [.ethtool]) }
        let ok = (want?.combined.map { $0 == ch.combined } ?? true) && (want?.rx.map { $0 == ch.rx } ?? true) && (want?.tx.map { $0 == ch.tx } ?? true)
        return Check("channels", s.name, ok ? .pass : .fail, expected: want == nil ? "report" : "combined \(want?.combined.map(String.init) ?? "-") rx \(want?.rx.map(String.init) ?? "-") tx \(want?.tx.map(String.init) ?? "-")",
                     observed: "combined \(ch.combined)/\(ch.combinedMax) rx \(ch.rx)/\(ch.rxMax) tx \(ch.tx)/\(ch.txMax)", evidence: [.ethtool])
    }

    static func coalesce(_ s: NICState, _ want: Tuning.Coalesce?) -> Check {
        guard let co = s.coalesce else { return Check("coalesce", s.name, want == nil ? .skip : .fail, expected: "readable", observed: s.unsupported["coalesce"] ?? "?", evidence: [.ethtool]) }
        let declared = Tuning.Coalesce.Key.allCases.compactMap { k in want?.values[k].map { (k.param, $0) } }
        let ok = declared.allSatisfy { co[$0.0] == $0.1 }
        let expected = declared.map { "\($0.0.option) \($0.0.show($0.1))" }.joined(separator: " ")
        return Check("coalesce", s.name, ok ? .pass : .fail, expected: want == nil ? "report" : expected, observed: co.description, evidence: [.ethtool])
    }

    static func gro(_ s: NICState, _ want: Bool?) -> Check {
        guard let g = s.gro else { return Check("gro", s.name, want == nil ? .skip : .fail, expected: "readable", observed: s.unsupported["gro"] ?? "?", evidence: [.ethtool]) }
        return Check("gro", s.name, want.map { $0 == g.active } ?? true ? .pass : .fail,
                     expected: want.map { $0 ? "on" : "off" } ?? "report", observed: g.description, evidence: [.ethtool])
    }

    static func irqs(_ s: NICState, _ want: Tuning.IRQAffinity?) -> [Check] {
        guard !s.irqs.isEmpty else {
            return [Check("irq-affinity", s.name, want == nil ? .skip : .fail, expected: want == nil ? "report" : "placed", observed: "no queue interrupts", evidence: [.procfs])]
        }
        let spread = s.irqs.map { "\($0.irq)→\($0.cpus)" }.joined(separator: " ")
        var wanted: [String]?
        switch want {
        case .spread?:
            let order = s.spreadCPUs
            wanted = order.isEmpty ? nil : IRQs.spread(s.irqs.map(\.irq), inOrder: order).map(\.cpus.description)
        case .lists(let l)?: wanted = l
        case nil: wanted = nil
        }
        if let wanted {
            return [Check.expect("irq-affinity", s.name, wanted == s.irqs.map(\.cpus), expected: wanted.joined(separator: " "), observed: spread, evidence: [.procfs])]
        }
        // The seeds' first finding: every queue interrupt served by one CPU.
        let oneCPU = s.irqs.count > 1 && s.onlineCPUs.count > 1 && Set(s.irqs.map(\.cpus)).count == 1 && !s.irqs[0].cpus.contains(",") && !s.irqs[0].cpus.contains("-")
        return [Check("irq-affinity", s.name, oneCPU ? .warn : .pass, expected: "report",
                      observed: spread + (oneCPU ? " — all queues on one CPU: consider irqAffinity: spread" : ""), evidence: [.procfs])]
    }

    /// With `irqAffinity` declared: is irqbalance kept off the queue interrupts it would move?
    static func irqbalance(_ s: NICState, _ want: Tuning.IRQAffinity?) -> [Check] {
        guard !s.irqs.isEmpty else { return [] }
        guard want != nil else {
            // Nothing placed: say it runs, since it is what moves these interrupts.
            return s.irqbalance.map { ib in
                [Check("irqbalance", s.name, .pass, expected: "report",
                       observed: "\(ib) places the queue interrupts" + (ib.bannedIRQs.isEmpty ? "" : " (bans irq \(ib.bannedIRQs.map(String.init).joined(separator: " ")))"),
                       evidence: [.procfs])]
            } ?? []
        }
        let irqs = s.irqs.map { String($0.irq) }.joined(separator: " ")
        guard let ib = s.irqbalance else {
            return [Check("irqbalance", s.name, .pass, expected: "not running, or banning irq \(irqs)", observed: "not running", evidence: [.procfs])]
        }
        if let script = ib.policyScript {
            return [Check("irqbalance", s.name, .warn, expected: "banning irq \(irqs)",
                          observed: "\(ib) with policy script \(script): its bans are not visible", evidence: [.procfs])]
        }
        let exposed = s.irqs.map(\.irq).filter { !ib.bannedIRQs.contains($0) }
        return [Check.expect("irqbalance", s.name, exposed.isEmpty, expected: "not running, or banning irq \(irqs)",
                             observed: exposed.isEmpty ? "\(ib) bans irq \(irqs)"
                                : "\(ib) does not ban irq \(exposed.map(String.init).joined(separator: " ")): it will move them",
                             evidence: [.procfs])]
    }

    /// With `rss` declared: the table, key and hash fields against `ethtool -x` / `ethtool -n`.
    static func rss(_ s: NICState, _ want: Tuning.RSS?, channels: Tuning.Channels?) -> [Check] {
        guard let want else {
            // Nothing declared: report the table where the driver has one (`plumb show --nic`).
            return s.rss.map { [Check("rss", s.name, .pass, expected: "report", observed: $0.description, evidence: [.ethtool])] } ?? []
        }
        guard let cur = s.rss else {
            return [Check("rss", s.name, .fail, expected: "readable", observed: s.unsupported["rss"] ?? "?", evidence: [.ethtool])]
        }
        var checks: [Check] = []
        if let table = want.table {
            let wanted = RSSTable.fill(table, size: cur.indirection.count)
            checks.append(Check.expect("rss", s.name, !cur.indirection.isEmpty && wanted == cur.indirection,
                                       expected: "\(table.ethtool) over \(cur.indirection.count) entries", observed: cur.description, evidence: [.ethtool]))
        }
        if let key = want.hashKey.flatMap(Tuning.RSS.keyBytes) {
            checks.append(Check.expect("rss-key", s.name, key == cur.key, expected: RSSChange.hex(key),
                                       observed: cur.key.isEmpty ? "no key" : RSSChange.hex(cur.key), evidence: [.ethtool]))
        }
        for h in want.hashFields {
            let have = s.hashFields[h.flow]
            checks.append(Check.expect("rx-flow-hash", s.name, have == h.fields, expected: "\(h.flow.rawValue) \(h.fields)",
                                       observed: "\(h.flow.rawValue) " + (have?.description ?? "not reported"), evidence: [.ethtool]))
        }
        return checks
    }

    static func counters(_ st: LinkStats) -> Check {
        let bad = st.rxFifoErrors + st.rxMissedErrors + st.rxOverErrors
        return Check("rx-errors", nil, bad == 0 ? .pass : .warn, expected: "no fifo/missed/over errors",
                     observed: "rx_dropped \(st.rxDropped) rx_fifo_errors \(st.rxFifoErrors) rx_missed_errors \(st.rxMissedErrors) rx_over_errors \(st.rxOverErrors)", evidence: [.netlink])
    }
}

extension Verifier {
    func nicReports() throws -> [NICReport] {
        guard layer.managesHost else { return [] }
        return try manifest.nics.compactMap { nic -> NICReport? in
            guard nic.tuning != nil, let name = Observer(kernel: kernel).resolve(nic.selector.pfSelector),
                  let link = try kernel.links(in: .host).link(name: name) else { return nil }
            var s = NICObserver(ethtool: try kernel.ethtool(in: .host), proc: kernel.proc).observe(name)
            s.txqueuelen = link.txqlen
            s.checkQueuesAreOurs(link.index, sysfs: kernel.proc.sysfsIndex(of: name))
            return NICReporter.report(s, tuning: nic.tuning, stats: link.stats)
        }
    }
}

extension NICReporter {
    /// The report of one NIC as it is now, with nothing declared (`plumb show --nic`).
    public static func current(_ name: String, kernel: any Kernel) throws -> NICReport {
        guard let link = try kernel.links(in: .host).link(name: name) else {
            throw NetlinkError(operation: "RTM_GETLINK", object: "\(name) in the host namespace", errno: .noDevice)
        }
        var r = report(NICObserver(ethtool: try kernel.ethtool(in: .host), proc: kernel.proc).observe(name), tuning: nil, stats: link.stats)
        r.sriov = try SRIOVCapabilities.probe(name, kernel: kernel)
        return r
    }
}
