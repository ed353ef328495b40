import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// Original NIC, IRQ and SR-IOV values back where Plumb changed them.
extension DestroyPlanner {
    /// Each recorded original tuning value, where the NIC still exists.
    func tuningRestoreSteps(_ notes: inout [String]) -> [Step] {
        record.nics.sorted { $0.nic < $1.nic }.flatMap { o -> [Step] in
            guard let s = observed.nics[o.nic] else {
                notes.append("\(o.nic) is gone: its original tuning cannot be restored")
                return []
            }
            guard sameLink(o.nic, o.link, &notes) else { return [] }
            var steps: [Step] = []
            if let cur = s.rings {
                let c = RingsChange(nic: o.nic, rx: restore(o.ringsRx, cur.rx), tx: restore(o.ringsTx, cur.tx))
                if c.rx != nil || c.tx != nil { steps.append(Step(.setRings(c), reason: "restore")) }
            }
            if let cur = s.channels {
                let c = ChannelsChange(nic: o.nic, combined: restore(o.channelsCombined, cur.combined),
                                       rx: restore(o.channelsRx, cur.rx), tx: restore(o.channelsTx, cur.tx))
                if c.combined != nil || c.rx != nil || c.tx != nil { steps.append(Step(.setChannels(c), reason: "restore")) }
            }
            if let cur = s.coalesce {
                let kept = o.coalesceOriginals
                var c = CoalesceChange(nic: o.nic)
                for p in kept.keys { if let v = cur[p] { c.values[p] = restore(kept[p], v) } }
                if !c.isEmpty { steps.append(Step(.setCoalesce(c), reason: "restore")) }
            }
            steps += featureRestoreSteps(o, s)
            steps += rssRestoreSteps(o, s)
            if let cur = s.txqueuelen, let c = restore(o.txqueuelen, cur) {
                steps.append(Step(.setTxQueueLen(TxQueueLenChange(nic: o.nic, length: c)), reason: "restore"))
            }
            steps += queueRestoreSteps(o, s, &notes)
            return steps
        }
    }

    /// The table and key as they were, then each flow type's hash fields.
    func rssRestoreSteps(_ o: NICOriginals, _ s: NICState) -> [Step] {
        var steps: [Step] = []
        if let cur = s.rss {
            let c = RSSChange(nic: o.nic, indirection: restore(o.rssIndirection, cur.indirection), key: restore(o.rssKey, cur.key))
            if !c.isEmpty { steps.append(Step(.setRSS(c), reason: "restore")) }
        }
        for (flow, kept) in (o.hashFields ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let cur = s.hashFields[flow], let c = restore(kept, cur) else { continue }
            steps.append(Step(.setRxHash(RxHashChange(nic: o.nic, flow: flow, fields: c)), reason: "restore"))
        }
        return steps
    }

    /// Each feature back, one step each, named by its kernel name (`ethtool -K` takes those too).
    /// A record from before any-feature offloads kept GRO on its own.
    func featureRestoreSteps(_ o: NICOriginals, _ s: NICState) -> [Step] {
        var kept = o.features ?? [:]
        if let gro = o.gro, kept[Ethtool.groFeature] == nil { kept[Ethtool.groFeature] = gro }
        return kept.keys.sorted().compactMap { name in
            guard let cur = s.features?[name], let c = restore(kept[name], cur.active) else { return nil }
            return Step(.setOffload(OffloadChange(nic: o.nic, name: name, features: [name: c])), reason: "restore")
        }
    }

    func queueRestoreSteps(_ o: NICOriginals, _ s: NICState, _ notes: inout [String]) -> [Step] {
        guard let kept = o.queues, !kept.isEmpty else { return [] }
        if s.queues.isEmpty {
            notes.append("the queue steering of \(o.nic) cannot be restored: \(s.unsupported["queues"] ?? "no queues under /sys/class/net/\(o.nic)/queues")")
            return []
        }
        return kept.compactMap { q in
            guard let cur = s.queues.first(where: { $0.queue == q.queue }) else { return nil }
            let c = QueueSteeringChange(nic: o.nic, queue: q.queue, cpus: cur.cpus.flatMap { restore(q.cpus, $0) },
                                        flowCount: cur.flowCount.flatMap { restore(q.flowCount, $0) })
            return c.isEmpty ? nil : Step(.setQueueSteering(c), reason: "restore")
        }
    }

    /// An IRQ's original affinity goes back only while that IRQ is still one of its
    /// NIC's queue interrupts: a record naming any other interrupt is not acted on.
    func irqRestoreSteps(_ notes: inout [String]) -> [Step] {
        record.irqs.sorted { $0.irq < $1.irq }.compactMap { o in
            guard let q = observed.nics[o.nic]?.irqs.first(where: { $0.irq == o.irq }) else {
                notes.append("irq \(o.irq) left alone: it is not a queue interrupt of \(o.nic) now")
                return nil
            }
            guard sameLink(o.nic, o.link, &notes), let current = try? CPUSet(parsing: q.cpus),
                  let change = restore(o.cpus, current) else { return nil }
            return Step(.setIRQAffinity(IRQAffinityChange(irq: o.irq, nic: o.nic, queue: o.queue, cpus: change)), reason: "restore")
        }
    }

    /// PF-side VF settings back to their originals, then the VF count Plumb changed,
    /// then the modprobe.d file as it was.
    func sriovRestoreSteps(_ notes: inout [String], _ handovers: inout [Handover]) -> [Step] {
        var steps: [Step] = []
        let counts = Dictionary(record.numVFs.map { ($0.pf, $0.count.original) }, uniquingKeysWith: { a, _ in a })
        // VFs the count restore removes need no settings restored — unless the driver keeps
        // them for the next VFs, or Plumb has no facts saying it does not.
        func settingsGoWithVFs(_ pf: String) -> Bool {
            guard counts[pf] == 0, let facts = DriverFactTable.facts(observed.pfs[pf]?.pf?.driver) else { return false }
            return !facts.vfSettingsOutliveVFs
        }
        for o in record.vfs.sorted(by: { ($0.pf, $0.vf) < ($1.pf, $1.vf) }) where !settingsGoWithVFs(o.pf) {
            if let heir = vfUser(o.pf, o.vf) {
                handovers.append(Handover(heir: heir.id, what: .vf(o)))
                notes.append("VF \(o.vf) of \(o.pf) left as it is: \(heir.owner) uses it now (it restores the VF's settings when it goes)")
                continue
            }
            guard let state = observed.pfs[o.pf], let current = state.settings(of: o.vf), sameLink(o.pf, o.link, &notes) else { continue }
            var s = VFSettingsChange()
            s.mac = restore(o.mac, current.mac ?? VFPlan.noMAC)
            s.vlan = restore(o.vlan, current.vlan)
            s.maxTxRate = restore(o.maxTxRate, current.maxTxRate)
            s.minTxRate = restore(o.minTxRate, current.minTxRate)
            if let c = current.queryRSS { s.queryRSS = restore(o.queryRSS, c) }
            if let c = current.spoofCheck { s.spoofCheck = restore(o.spoofCheck, c) }
            if let c = current.trust { s.trust = restore(o.trust, c) }
            if let c = current.linkState { s.linkState = restore(o.linkState, c) }
            if !s.isEmpty {
                steps.append(Step(.setVF(VFUpdate(pf: o.pf, vf: o.vf, driver: o.driver ?? state.pf?.driver, settings: s)), reason: "restore"))
            }
        }
        for o in record.numVFs.sorted(by: { $0.pf < $1.pf }) {
            guard let pf = observed.pfs[o.pf]?.pf, sameLink(o.pf, o.link, &notes),
                  let change = restore(o.count, pf.numVFs ?? 0) else { continue }
            var old = change.from
            for n in NumVFsChange(current: old, desired: change.to).writes {
                steps.append(Step(.setNumVFs(NumVFsWrite(pf: o.pf, count: Change(to: n, from: old))), reason: "restore"))
                old = n
            }
        }
        // Only a file that still holds what Plumb wrote is put back.
        for o in record.modprobe {
            guard let change = restore(o.text, observed.modprobeText) else { continue }
            steps.append(Step(.writeModprobe(ModprobeWrite(file: o.file, text: change, count: nil)), reason: "restore"))
        }
        return steps
    }
}

extension DestroyPlanner {
    /// Is the link named `name` still the one the record saw (its ifindex and MAC)?
    /// A record naming another link — re-created, or never Plumb's — restores nothing there.
    func sameLink(_ name: String, _ identity: LinkIdentity?, _ notes: inout [String]) -> Bool {
        guard let identity, let l = index.hostLinks[name], identity.matches(l) else {
            let now = index.hostLinks[name].map { LinkIdentity($0).description } ?? "absent"
            notes.append("\(name) left as it is: it is not the link plumb changed (\(identity?.description ?? "no identity recorded"), now \(now))")
            return false
        }
        return true
    }
}

/// The change that puts the original back: only while the kernel still shows the value
/// Plumb set (a value changed since is someone else's now). nil when there is nothing
/// to restore.
func restore<V>(_ kept: Kept<V>?, _ current: V) -> Change<V>? {
    guard let kept, current == kept.applied, kept.original != current else { return nil }
    return Change(to: kept.original, from: current)
}
