import PlumbManifest
import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// `nics[].tuning` → ethtool / procfs steps, each carrying the value it replaces so
/// apply can undo it and destroy can restore the original.
extension Planner {
    func tuningSteps(_ nic: NIC, index i: Int) throws -> [Step] {
        guard let t = nic.tuning else { return [] }
        let path = "nics[\(i)].tuning"
        guard let name = nicName(nic), let s = observed.nics[name] else {
            throw error("nics[\(i)]", "no network interface \(nic.reference) in this namespace")
        }
        var steps: [Step] = []
        if let r = t.rings { steps += try ringSteps(r, s, path: "\(path).rings") }
        if let c = t.channels { steps += try channelSteps(c, s, path: "\(path).channels") }
        if let r = t.rss { steps += try rssSteps(r, s, channels: t.channels, path: "\(path).rss") }
        if let c = t.coalesce { steps += try coalesceSteps(c, s, path: "\(path).coalesce") }
        if let o = t.offloads { steps += try offloadSteps(o, s, path: "\(path).offloads") }
        if let a = t.irqAffinity { steps += try irqSteps(a, s, path: "\(path).irqAffinity") }
        if let n = t.txqueuelen { steps += try txQueueLenSteps(n, s, path: "\(path).txqueuelen") }
        if let r = t.rps { steps += try steeringSteps(r, rx: true, s, path: "\(path).rps") }
        if let x = t.xps { steps += try steeringSteps(x, rx: false, s, path: "\(path).xps") }
        return steps
    }

    /// The NIC's netdev name (PCI/MAC selectors are resolved by the observer).
    func nicName(_ nic: NIC) -> String? {
        if case .name(let n) = nic.selector { return n }
        return observed.nicNames[nic.reference]
    }

    func unsupported(_ s: NICState, _ what: String, path: String) -> PlanError {
        error(path, "\(s.name) (driver \(s.driver.isEmpty ? "unknown" : s.driver)) does not support \(what): \(s.unsupported[what] ?? "not reported")")
    }

    func beyond(_ v: Int, max: Int, _ s: NICState, path: String) -> PlanError {
        error(path, "\(v) is beyond the maximum \(max) of \(s.name) (driver \(s.driver))")
    }

    /// A change when `want` differs from `have`.
    func change<V>(_ want: V?, _ have: V) -> Change<V>? {
        guard let want, want != have else { return nil }
        return Change(to: want, from: have)
    }

    func ringSteps(_ r: Tuning.Rings, _ s: NICState, path: String) throws -> [Step] {
        guard let cur = s.rings else { throw unsupported(s, "rings", path: path) }
        if let rx = r.rx, rx > cur.rxMax { throw beyond(rx, max: cur.rxMax, s, path: "\(path).rx") }
        if let tx = r.tx, tx > cur.txMax { throw beyond(tx, max: cur.txMax, s, path: "\(path).tx") }
        let c = RingsChange(nic: s.name, rx: change(r.rx, cur.rx), tx: change(r.tx, cur.tx))
        return c.rx == nil && c.tx == nil ? [] : [Step(.setRings(c))]
    }

    func channelSteps(_ want: Tuning.Channels, _ s: NICState, path: String) throws -> [Step] {
        guard let cur = s.channels else { throw unsupported(s, "channels", path: path) }
        for (key, v, max) in [("combined", want.combined, cur.combinedMax), ("rx", want.rx, cur.rxMax), ("tx", want.tx, cur.txMax)] {
            if let v, v > max { throw beyond(v, max: max, s, path: "\(path).\(key)") }
        }
        let c = ChannelsChange(nic: s.name, combined: change(want.combined, cur.combined), rx: change(want.rx, cur.rx),
                               tx: change(want.tx, cur.tx))
        return c.combined == nil && c.rx == nil && c.tx == nil ? [] : [Step(.setChannels(c))]
    }

    /// One `ethtool -C` for every declared parameter that differs. A parameter the driver
    /// does not report (the kernel leaves it out of COALESCE_GET) is refused, naming it,
    /// the driver and the parameters it does report — even when declared at 0.
    func coalesceSteps(_ want: Tuning.Coalesce, _ s: NICState, path: String) throws -> [Step] {
        guard let cur = s.coalesce else { throw unsupported(s, "coalesce", path: path) }
        var c = CoalesceChange(nic: s.name)
        for key in Tuning.Coalesce.Key.allCases {
            guard let v = want.values[key] else { continue }
            let p = key.param
            guard let have = cur[p] else {
                throw error("\(path).\(key.rawValue)", "\(s.name) (driver \(driverName(s))) does not support \(p.option) "
                            + "(ETHTOOL_MSG_COALESCE_GET does not report it); it reports: \(cur)")
            }
            if v != have { c.values[p] = Change(to: v, from: have) }
        }
        return c.isEmpty ? [] : [Step(.setCoalesce(c))]
    }

    func irqSteps(_ a: Tuning.IRQAffinity, _ s: NICState, path: String) throws -> [Step] {
        guard !s.irqs.isEmpty else {
            throw error(path, "\(s.name) (driver \(s.driver.isEmpty ? "unknown" : s.driver)) has no queue interrupts (device/msi_irqs) to place")
        }
        try checkIRQBalance(s, path: path)
        let wanted: [CPUSet]
        switch a {
        case .spread:
            let order = s.spreadCPUs
            guard !order.isEmpty else { throw error(path, "cannot read the online CPUs") }
            wanted = IRQs.spread(s.irqs.map(\.irq), inOrder: order).map(\.cpus)
        case .lists(let lists):
            guard lists.count == s.irqs.count else {
                throw error(path, "\(lists.count) CPU lists for \(s.irqs.count) queue interrupts of \(s.name)")
            }
            wanted = try lists.enumerated().map { i, text in
                do { return try CPUSet(parsing: text) } catch { throw self.error("\(path)[\(i)]", "\(error)") }
            }
        }
        return try zip(s.irqs, wanted).compactMap { (q, cpus) in
            guard let current = try? CPUSet(parsing: q.cpus) else {
                throw error(path, "cannot read the affinity of irq \(q.irq) of \(s.name) (\(q.cpus))")
            }
            guard current != cpus else { return nil }
            return Step(.setIRQAffinity(IRQAffinityChange(irq: q.irq, nic: s.name, queue: q.name, cpus: Change(to: cpus, from: current))))
        }
    }
}

extension Tuning.Coalesce.Key {
    /// The ethtool parameter this manifest key sets.
    var param: Ethtool.CoalesceParam {
        switch self {
        case .adaptiveRx: return .adaptiveRx
        case .adaptiveTx: return .adaptiveTx
        case .rxUsecs: return .rxUsecs
        case .rxFrames: return .rxFrames
        case .rxUsecsIrq: return .rxUsecsIrq
        case .rxFramesIrq: return .rxFramesIrq
        case .txUsecs: return .txUsecs
        case .txFrames: return .txFrames
        case .txUsecsIrq: return .txUsecsIrq
        case .txFramesIrq: return .txFramesIrq
        }
    }
}
