import PlumbTypes

extension Record {
    /// The record once `actions` have run: what they create joins it, what they delete
    /// leaves it, the first value each change replaced is kept — and a change back to
    /// that first value (a restore, or a rollback) drops it.
    public func adding(_ actions: [Action]) -> Record {
        var r = self
        for a in actions { r.apply(a) }
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
        case .createBridge(let b): insert(LinkEntry(link: LinkRef(b.name), kind: .bridge))
        case .createVeth(let v):
            insert(LinkEntry(link: LinkRef(v.hostName), kind: .veth, peer: v.peer))
            insert(LinkEntry(link: v.peer, kind: .vethPeer))
        case .setLink, .addAddress, .deleteAddress, .addRoute, .deleteRoute:
            break   // settings of links the record already lists
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
            nic(c.nic) { o in keepFirst(&o.adaptiveRx, c.adaptiveRx); keepFirst(&o.rxUsecs, c.rxUsecs); keepFirst(&o.rxFrames, c.rxFrames) }
        case .setOffload(let c): nic(c.nic) { o in keepFirst(&o.gro, c.gro) }
        case .setIRQAffinity(let c):
            var original = irqs.first { $0.irq == c.irq }?.cpus
            keepFirst(&original, c.cpus)
            irqs.removeAll { $0.irq == c.irq }
            if let original { irqs.append(IRQOriginal(irq: c.irq, nic: c.nic, queue: c.queue, cpus: original)) }
        case .setNumVFs(let w):
            var original = numVFs.first { $0.pf == w.pf }?.count
            keepFirst(&original, w.count)
            numVFs.removeAll { $0.pf == w.pf }
            if let original { numVFs.append(NumVFsOriginal(pf: w.pf, count: original)) }
        case .writeModprobe(let w):
            let had = modprobe.first { $0.file == w.file }
            modprobe.removeAll { $0.file == w.file }
            if let had {
                if had.text != w.text.to { modprobe.append(had) }
            } else if w.text.from != w.text.to {
                modprobe.append(ModprobeOriginal(file: w.file, text: w.text.from))
            }
        case .setVF(let u): vf(u.pf, u.vf, driver: u.driver) { o in Record.keepVF(&o, u.settings) }
        case .moveVF(let m):
            movedVFs.removeAll { $0.pf == m.pf && $0.vf == m.vf }
            movedVFs.append(MovedVF(pf: m.pf, vf: m.vf, link: m.to, hostName: m.hostName, previous: m.previous))
        case .returnVF(let r): movedVFs.removeAll { $0.pf == r.pf && $0.vf == r.vf }
        }
    }

    mutating func insert(_ l: LinkEntry) {
        if !links.contains(l) { links.append(l) }
    }

    /// The original of `key`: kept when first changed, dropped when changed back to it.
    static func keep(_ list: inout [SysctlOriginal], key: String, change: Change<String>) {
        var original = list.first { $0.key == key }?.value
        keepFirst(&original, change)
        list.removeAll { $0.key == key }
        if let original { list.append(SysctlOriginal(key: key, value: original)) }
    }

    mutating func nic(_ name: String, _ update: (inout NICOriginals) -> Void) {
        var o = nics.first { $0.nic == name } ?? NICOriginals(nic: name)
        update(&o)
        nics.removeAll { $0.nic == name }
        if !o.isEmpty { nics.append(o) }
    }

    mutating func vf(_ pf: String, _ index: Int, driver: String?, _ update: (inout VFOriginal) -> Void) {
        var o = vfs.first { $0.pf == pf && $0.vf == index } ?? VFOriginal(pf: pf, vf: index, driver: driver)
        update(&o)
        vfs.removeAll { $0.pf == pf && $0.vf == index }
        if !o.isEmpty { vfs.append(o) }
    }

    static func keepVF(_ o: inout VFOriginal, _ s: VFSettingsChange) {
        keepFirst(&o.mac, s.mac); keepFirst(&o.vlan, s.vlan); keepFirst(&o.maxTxRate, s.maxTxRate)
        keepFirst(&o.spoofCheck, s.spoofCheck); keepFirst(&o.linkState, s.linkState); keepFirst(&o.trust, s.trust)
    }
}

/// The first-value rule for one setting.
func keepFirst<V>(_ original: inout V?, _ change: Change<V>?) {
    guard let change else { return }
    if let o = original {
        if change.to == o { original = nil }
    } else if change.from != change.to {
        original = change.from
    }
}
