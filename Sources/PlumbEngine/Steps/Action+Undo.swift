import PlumbFirewall

extension Action {
    /// What reverses it, in the order to run: derived from the payload alone, so the
    /// applier journals it *before* the action runs, and a half-done action (a VF
    /// setting refused after two of its parts took) is undone too. Every undo
    /// tolerates finding its work already done. Empty: nothing to undo (a deletion
    /// that only ever runs last, in destroy, or removes what was broken anyway).
    public var undo: [Action] {
        switch self {
        case .setSysctl(let s): return [.setSysctl(SysctlWrite(key: s.key, value: s.value.inverted))]
        case .createNamespace(let n): return [.deleteNamespace(NamespaceDeletion(name: n.name, identity: nil))]
        case .deleteNamespace: return []
        case .createBridge(let b):
            return [.deleteLink(LinkDeletion(link: LinkRef(b.name), proof: .owner(alias: b.alias, mac: b.mac)))]
        case .createVeth(let v):
            return [.deleteLink(LinkDeletion(link: LinkRef(v.hostName), proof: .owner(alias: v.alias, mac: v.hostMAC)))]
        case .createMacvlan(let m):
            return Action.deletions(m.link, bornAs: m.birth.temporary, proof: .owner(alias: m.alias, mac: m.mac))
        case .createIpvlan(let m):
            return Action.deletions(m.link, bornAs: m.birth.temporary, proof: .owner(alias: m.alias, mac: m.parentMAC))
        case .createVlan(let v):
            return Action.deletions(v.link, bornAs: v.birth.temporary, proof: .owner(alias: v.alias, mac: v.birthMAC))
        case .setLink(let u):
            let proof = u.to.alias.map { LinkProof.owner(alias: $0, mac: nil) } ?? u.proof
            var link = u.link
            link.name = u.to.name ?? link.name   // a renamed link is found under its new name
            return [.setLink(LinkUpdate(link: link, proof: proof, to: u.from, from: u.to))]
        case .deleteLink: return []
        case .addAddress(let a):
            var d = a
            d.routes = []
            return [.deleteAddress(d)]
        case .deleteAddress(let a):
            var add = a
            add.routes = []
            return [.addAddress(add)]
                + a.routes.map { .addRoute(RouteChange(link: a.link, proof: a.proof, route: $0, ifAbsent: true)) }
        case .addRoute(let r):
            var d = r
            d.ifAbsent = false
            return [.deleteRoute(d)]
        case .addRule(let r): return [.deleteRule(r)]
        case .deleteRule(let r): return [.addRule(r)]
        case .deleteRoute(let r): return [.addRoute(r)]
        case .replaceTable(let t):
            let now = t.content.text(table: t.table)
            guard let previous = t.previous else { return [.deleteTable(TableDeletion(table: t.table, previous: now))] }
            return [.replaceTable(TableReplacement(table: t.table, content: .text(previous), previous: now))]
        case .deleteTable(let t):
            guard let previous = t.previous else { return [] }
            return [.replaceTable(TableReplacement(table: t.table, content: .text(previous), previous: nil))]
        case .setRings(let c): return [.setRings(RingsChange(nic: c.nic, rx: c.rx.inverted(), tx: c.tx.inverted()))]
        case .setChannels(let c):
            return [.setChannels(ChannelsChange(nic: c.nic, combined: c.combined.inverted(), rx: c.rx.inverted(), tx: c.tx.inverted()))]
        case .setCoalesce(let c):
            return [.setCoalesce(CoalesceChange(nic: c.nic, values: c.values.mapValues(\.inverted)))]
        case .setOffload(let c): return [.setOffload(OffloadChange(nic: c.nic, name: c.name, features: c.features.mapValues(\.inverted)))]
        case .setRSS(let c): return [.setRSS(RSSChange(nic: c.nic, indirection: c.indirection.inverted(), key: c.key.inverted()))]
        case .setRxHash(let c): return [.setRxHash(RxHashChange(nic: c.nic, flow: c.flow, fields: c.fields.inverted))]
        case .setTxQueueLen(let c): return [.setTxQueueLen(TxQueueLenChange(nic: c.nic, length: c.length.inverted))]
        case .setQueueSteering(let c):
            return [.setQueueSteering(QueueSteeringChange(nic: c.nic, queue: c.queue, cpus: c.cpus.inverted(),
                                                          flowCount: c.flowCount.inverted()))]
        case .setIRQAffinity(let c):
            return [.setIRQAffinity(IRQAffinityChange(irq: c.irq, nic: c.nic, queue: c.queue, cpus: c.cpus.inverted))]
        case .setPFAdmin(let c): return [.setPFAdmin(PFAdminChange(pf: c.pf, up: c.up.inverted))]
        case .setEswitchMode(let c): return [.setEswitchMode(EswitchChange(pf: c.pf, device: c.device, mode: c.mode.inverted))]
        case .setNumVFs(let w): return [.setNumVFs(NumVFsWrite(pf: w.pf, count: w.count.inverted))]
        case .writeModprobe(let w): return [.writeModprobe(ModprobeWrite(file: w.file, text: w.text.inverted, count: nil))]
        case .setVF(let u): return [.setVF(VFUpdate(pf: u.pf, vf: u.vf, driver: u.driver, settings: u.settings.inverted))]
        case .moveVF(let m):
            return [.returnVF(VFReturn(pf: m.pf, vf: m.vf, from: m.to, hostName: m.hostName, alias: m.alias, restore: m.previous))]
        case .returnVF(let r):
            return [.moveVF(VFMove(pf: r.pf, vf: r.vf, hostName: r.hostName, to: r.from, mac: nil, mtu: nil, alias: r.alias, previous: r.restore))]
        case .bindVF(let b):
            return [.bindVF(VFBind(pf: b.pf, vf: b.vf, pciAddress: b.pciAddress, driver: b.driver.inverted, iommuGroup: b.iommuGroup))]
        }
    }
}

extension TableContent {
    /// The table as `nft list table` would print it after the replace.
    func text(table: TableName) -> String {
        switch self {
        case .ruleset(let r, let comment): return Renderer.table(r, table: table, comment: comment)
        case .text(let t): return t
        }
    }
}

extension Action {
    /// The deletion of a link made under its name, and of one still under its temporary
    /// name (born under it, and a failure came before the rename).
    static func deletions(_ link: LinkRef, bornAs temporary: String, proof: LinkProof) -> [Action] {
        var born = link
        born.name = temporary
        return [.deleteLink(LinkDeletion(link: link, proof: proof)), .deleteLink(LinkDeletion(link: born, proof: proof))]
    }
}
