import PlumbSystem
import PlumbTypes

/// A record is input like any other: it may be stale, hand-edited or planted. Every
/// entry must be one Plumb could have written; a record with one that is not is
/// refused as a whole (never half-read), naming the entry.
extension Record {
    public func problems() -> [String] {
        var out: [String] = []
        func name(_ n: String, _ what: String) {
            if let why = InterfaceNames.problem(n) { out.append("\(what) \"\(n.prefix(40))\": \(why)") }
        }
        func namespace(_ ns: NamespaceRef, _ what: String) {
            if let why = ns.problem { out.append("\(what): \(why)") }
        }
        if schema != Record.currentSchema { out.append("schema \(schema) is not \(Record.currentSchema)") }
        for n in namespaces {
            namespace(n.ref, "namespace \(n.ref)")
            if n.ref == .host { out.append("namespace entry names the host namespace") }
        }
        for l in links {
            name(l.link.name, "link"); namespace(l.link.namespace, "link \(l.link.name)")
            if let p = l.peer { name(p.name, "peer of link \(l.link.name)"); namespace(p.namespace, "peer of link \(l.link.name)") }
            if let p = l.parent {
                name(p.name, "parent of link \(l.link.name)")
                // Only a VLAN may sit on a link of its own namespace (an interface of its container).
                if p.namespace != .host && !(l.kind == .vlan && p.namespace == l.link.namespace) {
                    out.append("parent of link \(l.link.name) is not in the host namespace")
                }
            }
            if l.kind.hasParent != (l.parent != nil) { out.append("link \(l.link.name): only a macvlan, ipvlan or vlan has a parent, and it has one") }
        }
        if let t = table, t != Marks(owner).table { out.append("nftables table \(t) is not this owner's table \(Marks(owner).table)") }
        for key in sysctls.map(\.key) + requiredSysctls.map(\.key) { if let why = SysctlKeys.problem(key) { out.append("sysctl: \(why)") } }
        for n in nics {
            name(n.nic, "NIC")
            if n.link == nil { out.append("NIC \(n.nic) has no link identity") }
            // A queue name becomes a sysfs path component: only rx-N / tx-N.
            for q in n.queues ?? [] where !Record.isQueueName(q.queue) {
                out.append("queue \"\(q.queue)\" of \(n.nic) is not rx-N or tx-N")
            }
            out += n.rxPathProblems
        }
        for p in ports ?? [] where !(1...65535).contains(p.hostPort) || !(1...65535).contains(p.destination.port) {
            out.append("published port \(p.label) → \(p.destination) is not a port")
        }
        for i in irqs {
            name(i.nic, "NIC of irq \(i.irq)")
            if i.link == nil { out.append("irq \(i.irq) has no link identity of its NIC") }
            if !(0...1_048_575).contains(i.irq) { out.append("irq \(i.irq) is not an interrupt number") }
        }
        for v in vfs {
            name(v.pf, "PF")
            if v.vf < 0 { out.append("VF index \(v.vf) is negative") }
            if v.link == nil { out.append("VF \(v.vf) of \(v.pf) has no link identity of its PF") }
        }
        for n in numVFs {
            name(n.pf, "PF")
            if n.count.original < 0 || n.count.applied < 0 { out.append("a VF count of \(n.pf) is negative") }
            if n.link == nil { out.append("the VF count of \(n.pf) has no link identity of its PF") }
        }
        for p in raisedPFs {
            name(p.pf, "PF")
            if p.link == nil { out.append("the admin state of \(p.pf) has no link identity of its PF") }
            if p.up.original || !p.up.applied { out.append("\(p.pf) is recorded as brought down: plumb only brings PFs up") }
        }
        for e in eswitches {
            name(e.pf, "PF")
            if e.device.bus.isEmpty || e.device.device.isEmpty || (e.device.bus + e.device.device).contains("/") {
                out.append("the eswitch of \(e.pf) names no devlink device")
            }
        }
        for m in movedVFs {
            name(m.pf, "PF"); name(m.link.name, "moved VF"); namespace(m.link.namespace, "moved VF \(m.link.name)")
            if let h = m.hostName { name(h, "host name of moved VF") }
        }
        for b in boundVFs {
            name(b.pf, "PF")
            if b.vf < 0 { out.append("VF index \(b.vf) is negative") }
            if b.driver.applied.flatMap(VFUserspaceDriver.init(rawValue:)) == nil {
                out.append("VF \(b.vf) of \(b.pf) is recorded as bound to \(b.driver.applied ?? "no driver"): plumb binds only userspace drivers")
            }
            // A driver name becomes a sysfs path component (bus/pci/drivers/NAME).
            if let d = b.driver.original, d.isEmpty || d.count > 64 || d.contains("/") || d.hasPrefix(".") || d.contains(where: \.isWhitespace) {
                out.append("VF \(b.vf) of \(b.pf) has no driver name as its original: \(d)")
            }
            if let p = b.pciAddress, (try? SRIOVSysfs.normalizedPCI(p)) != p { out.append("VF \(b.vf) of \(b.pf): \(p) is not a PCI address") }
        }
        return out
    }
}

extension Record {
    static func isQueueName(_ q: String) -> Bool {
        let digits = q.dropFirst(3)
        return (q.hasPrefix("rx-") || q.hasPrefix("tx-")) && !digits.isEmpty && digits.count <= 6
            && digits.utf8.allSatisfy { (48...57).contains($0) }
    }
}

extension NICOriginals {
    /// What no apply could have recorded: coalescing counts beyond u32, an RSS table with a
    /// negative queue or whose two versions differ in size (the driver's size is fixed),
    /// a key that changed size. Destroy would write these back into the kernel.
    var rxPathProblems: [String] {
        var out: [String] = []
        for (p, k) in coalesceOriginals where ![k.original, k.applied].allSatisfy({ (0...Int(UInt32.max)).contains($0) }) {
            out.append("coalescing \(p.option) of \(nic) is out of range")
        }
        if let t = rssIndirection, t.original.count != t.applied.count || (t.original + t.applied).contains(where: { $0 < 0 }) {
            out.append("the RSS table of \(nic) is not a table the driver could have had")
        }
        if let k = rssKey, k.original.count != k.applied.count { out.append("the RSS key of \(nic) changed size") }
        return out
    }
}
