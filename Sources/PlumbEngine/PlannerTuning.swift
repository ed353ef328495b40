import PlumbManifest
import PlumbNetlink

/// `nics[].tuning` → ethtool / procfs steps, each carrying the value it replaces
/// (`old.*`) so apply can undo it and destroy can restore the original.
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
        if let c = t.coalesce { steps += try coalesceSteps(c, s, path: "\(path).coalesce") }
        if let gro = t.offloads?.gro { steps += try groSteps(gro, s, path: "\(path).offloads.gro") }
        if let a = t.irqAffinity { steps += try irqSteps(a, s, path: "\(path).irqAffinity") }
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

    func ringSteps(_ r: Tuning.Rings, _ s: NICState, path: String) throws -> [Step] {
        guard let cur = s.rings else { throw unsupported(s, "rings", path: path) }
        if let rx = r.rx, rx > cur.rxMax { throw beyond(rx, max: cur.rxMax, s, path: "\(path).rx") }
        if let tx = r.tx, tx > cur.txMax { throw beyond(tx, max: cur.txMax, s, path: "\(path).tx") }
        var f: [String: String] = [:]
        if let rx = r.rx, rx != cur.rx { f["rx"] = String(rx); f["old.rx"] = String(cur.rx) }
        if let tx = r.tx, tx != cur.tx { f["tx"] = String(tx); f["old.tx"] = String(cur.tx) }
        return f.isEmpty ? [] : [Step(.setRings, s.name, f)]
    }

    func channelSteps(_ c: Tuning.Channels, _ s: NICState, path: String) throws -> [Step] {
        guard let cur = s.channels else { throw unsupported(s, "channels", path: path) }
        var f: [String: String] = [:]
        for (key, want, have, max) in [("combined", c.combined, cur.combined, cur.combinedMax),
                                       ("rx", c.rx, cur.rx, cur.rxMax), ("tx", c.tx, cur.tx, cur.txMax)] {
            guard let want else { continue }
            if want > max { throw beyond(want, max: max, s, path: "\(path).\(key)") }
            if want != have { f[key] = String(want); f["old.\(key)"] = String(have) }
        }
        return f.isEmpty ? [] : [Step(.setChannels, s.name, f)]
    }

    func coalesceSteps(_ c: Tuning.Coalesce, _ s: NICState, path: String) throws -> [Step] {
        guard let cur = s.coalesce else { throw unsupported(s, "coalesce", path: path) }
        var f: [String: String] = [:]
        if let v = c.adaptiveRx, v != cur.adaptiveRx {
            guard let old = cur.adaptiveRx else { throw unsupported(s, "coalesce", path: "\(path).adaptiveRx") }
            f["adaptiveRx"] = String(v); f["old.adaptiveRx"] = String(old)
        }
        if let v = c.rxUsecs, v != cur.rxUsecs {
            guard let old = cur.rxUsecs else { throw unsupported(s, "coalesce", path: "\(path).rxUsecs") }
            f["rxUsecs"] = String(v); f["old.rxUsecs"] = String(old)
        }
        if let v = c.rxFrames, v != cur.rxFrames {
            guard let old = cur.rxFrames else { throw unsupported(s, "coalesce", path: "\(path).rxFrames") }
            f["rxFrames"] = String(v); f["old.rxFrames"] = String(old)
        }
        return f.isEmpty ? [] : [Step(.setCoalesce, s.name, f)]
    }

    func groSteps(_ on: Bool, _ s: NICState, path: String) throws -> [Step] {
        guard let cur = s.gro else { throw unsupported(s, "gro", path: path) }
        if cur.active == on { return [] }
        guard cur.changeable else { throw error(path, "GRO of \(s.name) (driver \(s.driver)) is fixed \(cur.active ? "on" : "off")") }
        return [Step(.setOffload, s.name, ["gro": String(on), "old.gro": String(cur.active)])]
    }

    func irqSteps(_ a: Tuning.IRQAffinity, _ s: NICState, path: String) throws -> [Step] {
        guard !s.irqs.isEmpty else {
            throw error(path, "\(s.name) (driver \(s.driver.isEmpty ? "unknown" : s.driver)) has no queue interrupts (device/msi_irqs) to place")
        }
        let wanted: [String]
        switch a {
        case .spread:
            guard !s.onlineCPUs.isEmpty else { throw error(path, "cannot read the online CPUs") }
            wanted = s.irqs.indices.map { String(s.onlineCPUs[$0 % s.onlineCPUs.count]) }
        case .lists(let lists):
            guard lists.count == s.irqs.count else {
                throw error(path, "\(lists.count) CPU lists for \(s.irqs.count) queue interrupts of \(s.name)")
            }
            wanted = lists
        }
        return zip(s.irqs, wanted).compactMap { (q, cpus) in
            q.cpus == cpus ? nil : Step(.setIRQAffinity, String(q.irq), ["cpus": cpus, "old.cpus": q.cpus, "nic": s.name, "queue": q.name])
        }
    }
}
