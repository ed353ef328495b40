import PlumbTypes

extension Record {
    /// The record once `actions` have run: what they create joins it, what they delete
    /// leaves it, the first value each change replaced is kept — and a change back to
    /// that first value (a restore, or a rollback) drops it.
    public func adding(_ actions: [Action]) -> Record {
        var r = self
        for a in actions { r.apply(a) }
        r.links = r.links.uniqued()
        return r
    }

    mutating func apply(_ action: Action) {
        switch action {
        case .setSysctl(let s): Record.keep(&sysctls, key: s.key, change: s.value)
        case .createNamespace(let n):
            namespaces.removeAll { $0.ref == .named(n.name) }
            namespaces.append(NamespaceEntry(ref: .named(n.name), identity: nil, created: true))
        case .deleteNamespace(let n):
            let ns = NamespaceRef.named(n.name)
            namespaces.removeAll { $0.ref == ns }
            links.removeAll { $0.link.namespace == ns || $0.peer?.namespace == ns }
            movedVFs.removeAll { $0.link.namespace == ns }
            ruleEntries.removeAll { $0.namespace == ns }
        case .createBridge(let b): insert(LinkEntry(link: LinkRef(b.name), kind: .bridge))
        case .createVeth(let v):
            insert(LinkEntry(link: LinkRef(v.hostName), kind: .veth, peer: v.peer))
            insert(LinkEntry(link: v.peer, kind: .vethPeer))
        case .createMacvlan(let m):
            insert(LinkEntry(link: m.link, kind: .macvlan, parent: LinkRef(m.parent, index: m.parentIndex)))
        case .createIpvlan(let m):
            insert(LinkEntry(link: m.link, kind: .ipvlan, parent: LinkRef(m.parent, index: m.parentIndex)))
        case .createVlan(let v):
            insert(LinkEntry(link: v.link, kind: .vlan, parent: v.parent))
        case .setLink, .addAddress, .deleteAddress, .addRoute, .deleteRoute:
            break   // settings of links the record already lists
        case .addRule(let r):
            let entry = RuleEntry(namespace: r.namespace, rule: r.rule)
            if !ruleEntries.contains(entry) { ruleEntries.append(entry) }
        case .deleteRule(let r):
            ruleEntries.removeAll { $0.namespace == r.namespace && $0.rule.matches(r.rule) }
        case .deleteLink(let d):
            let gone = links.filter { $0.link.name == d.link.name && $0.link.namespace == d.link.namespace }
            let peers = gone.compactMap(\.peer)
            links.removeAll { l in gone.contains(l) || peers.contains { $0.name == l.link.name && $0.namespace == l.link.namespace } }
        case .replaceTable(let t): table = t.table
        case .deleteTable: table = nil
        case .setRings(let c):
            nic(c.nic) { o in keepFirst(&o.ringsRx, c.rx); keepFirst(&o.ringsTx, c.tx) }
        case .setChannels(let c):
            nic(c.nic) { o in keepFirst(&o.channelsCombined, c.combined); keepFirst(&o.channelsRx, c.rx); keepFirst(&o.channelsTx, c.tx) }
        case .setCoalesce(let c):
            nic(c.nic) { o in
                var kept = o.coalesceOriginals
                for (p, change) in c.values { keepFirst(&kept[p], change) }
                (o.adaptiveRx, o.rxUsecs, o.rxFrames) = (nil, nil, nil)
                o.coalesce = kept.isEmpty ? nil : kept
            }
        case .setOffload(let c):
            nic(c.nic) { o in
                var kept = o.features ?? [:]
                for (name, change) in c.features { keepFirst(&kept[name], change) }
                o.features = kept.isEmpty ? nil : kept
            }
        case .setTxQueueLen(let c): nic(c.nic) { o in keepFirst(&o.txqueuelen, c.length) }
        case .setRSS(let c): nic(c.nic) { o in keepFirst(&o.rssIndirection, c.indirection); keepFirst(&o.rssKey, c.key) }
        case .setRxHash(let c):
            nic(c.nic) { o in
                var kept = o.hashFields ?? [:]
                keepFirst(&kept[c.flow], c.fields)
                o.hashFields = kept.isEmpty ? nil : kept
            }
        case .setQueueSteering(let c):
            nic(c.nic) { o in
                var queues = o.queues ?? []
                var q = queues.first { $0.queue == c.queue } ?? QueueOriginal(queue: c.queue)
                keepFirst(&q.cpus, c.cpus); keepFirst(&q.flowCount, c.flowCount)
                queues.removeAll { $0.queue == c.queue }
                if q.cpus != nil || q.flowCount != nil { queues.append(q) }
                o.queues = queues.isEmpty ? nil : queues.sorted { $0.queue < $1.queue }
            }
        case .setIRQAffinity(let c):
            var kept = irqs.first { $0.irq == c.irq }?.cpus
            keepFirst(&kept, c.cpus)
            irqs.removeAll { $0.irq == c.irq }
            if let kept { irqs.append(IRQOriginal(irq: c.irq, nic: c.nic, link: nil, queue: c.queue, cpus: kept)) }
        case .setPFAdmin(let c):
            var kept = raisedPFs.first { $0.pf == c.pf }?.up
            let link = raisedPFs.first { $0.pf == c.pf }?.link
            keepFirst(&kept, c.up)
            raisedPFs.removeAll { $0.pf == c.pf }
            if let kept { raisedPFs.append(PFAdminOriginal(pf: c.pf, link: link, up: kept)) }
        case .setEswitchMode(let c):
            var kept = eswitches.first { $0.device == c.device }?.mode
            keepFirst(&kept, c.mode)
            eswitches.removeAll { $0.device == c.device }
            if let kept { eswitches.append(EswitchOriginal(pf: c.pf, device: c.device, mode: kept)) }
        case .setNumVFs(let w):
            var kept = numVFs.first { $0.pf == w.pf }?.count
            keepFirst(&kept, w.count)
            numVFs.removeAll { $0.pf == w.pf }
            if let kept { numVFs.append(NumVFsOriginal(pf: w.pf, link: nil, count: kept)) }
        case .writeModprobe(let w):
            var kept = modprobe.first { $0.file == w.file }?.text
            keepFirst(&kept, w.text)
            modprobe.removeAll { $0.file == w.file }
            if let kept { modprobe.append(ModprobeOriginal(file: w.file, text: kept)) }
        case .setVF(let u): vf(u.pf, u.vf, driver: u.driver) { o in Record.keepVF(&o, u.settings) }
        case .moveVF(let m):
            movedVFs.removeAll { $0.pf == m.pf && $0.vf == m.vf }
            movedVFs.append(MovedVF(pf: m.pf, vf: m.vf, link: m.to, hostName: m.hostName, previous: m.previous))
        case .returnVF(let r): movedVFs.removeAll { $0.pf == r.pf && $0.vf == r.vf }
        case .bindVF(let b):
            var kept = boundVFs.first { $0.pf == b.pf && $0.vf == b.vf }?.driver
            keepFirst(&kept, b.driver)
            let pci = b.pciAddress ?? boundVFs.first { $0.pf == b.pf && $0.vf == b.vf }?.pciAddress
            boundVFs.removeAll { $0.pf == b.pf && $0.vf == b.vf }
            if let kept { boundVFs.append(BoundVF(pf: b.pf, vf: b.vf, pciAddress: pci, iommuGroup: b.iommuGroup, driver: kept)) }
        }
    }

    /// Appends; `adding` drops repeats once at the end (a check per insert would cost
    /// quadratic time over thousands of links).
    mutating func insert(_ l: LinkEntry) { links.append(l) }

    /// The original of `key`: kept when first changed, dropped when changed back to it.
    static func keep(_ list: inout [SysctlOriginal], key: String, change: Change<String>) {
        var kept = list.first { $0.key == key }?.value
        keepFirst(&kept, change)
        list.removeAll { $0.key == key }
        if let kept { list.append(SysctlOriginal(key: key, value: kept)) }
    }

    mutating func nic(_ name: String, _ update: (inout NICOriginals) -> Void) {
        var o = nics.first { $0.nic == name } ?? NICOriginals(nic: name)
        update(&o)
        nics.removeAll { $0.nic == name }
        if !o.isEmpty { nics.append(o) }
    }

    mutating func vf(_ pf: String, _ index: Int, driver: String?, _ update: (inout VFOriginal) -> Void) {
        var o = vfs.first { $0.pf == pf && $0.vf == index } ?? VFOriginal(pf: pf, link: nil, vf: index, driver: driver)
        update(&o)
        vfs.removeAll { $0.pf == pf && $0.vf == index }
        if !o.isEmpty { vfs.append(o) }
    }

    static func keepVF(_ o: inout VFOriginal, _ s: VFSettingsChange) {
        keepFirst(&o.mac, s.mac); keepFirst(&o.vlan, s.vlan); keepFirst(&o.maxTxRate, s.maxTxRate); keepFirst(&o.minTxRate, s.minTxRate)
        keepFirst(&o.spoofCheck, s.spoofCheck); keepFirst(&o.linkState, s.linkState); keepFirst(&o.queryRSS, s.queryRSS)
        keepFirst(&o.trust, s.trust)
    }
}

/// The first-value rule for one setting: the value before the first change is kept,
/// with the value set last; a change back to the first value drops it.
func keepFirst<V>(_ kept: inout Kept<V>?, _ change: Change<V>?) {
    guard let change else { return }
    if let k = kept {
        kept = change.to == k.original ? nil : Kept(original: k.original, applied: change.to)
    } else if change.from != change.to {
        kept = Kept(original: change.from, applied: change.to)
    }
}

extension Record {
    /// The ifindex and MAC of each NIC and PF the record changes, read from `host`
    /// where not known yet: what destroy checks before it restores anything there.
    func identifying(in host: NamespaceSnapshot) -> Record {
        var r = self
        func id(_ name: String) -> LinkIdentity? { host.link(named: name).map(LinkIdentity.init) }
        for i in r.nics.indices where r.nics[i].link == nil { r.nics[i].link = id(r.nics[i].nic) }
        for i in r.irqs.indices where r.irqs[i].link == nil { r.irqs[i].link = id(r.irqs[i].nic) }
        for i in r.vfs.indices where r.vfs[i].link == nil { r.vfs[i].link = id(r.vfs[i].pf) }
        for i in r.numVFs.indices where r.numVFs[i].link == nil { r.numVFs[i].link = id(r.numVFs[i].pf) }
        r.raisedPFs = r.raisedPFs.map { p in var p = p; p.link = p.link ?? id(p.pf); return p }
        return r
    }
}

extension Array where Element: Hashable {
    /// The elements in order, each once.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
