import PlumbEngine
import PlumbFirewall
import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// What tests do to the fake kernel behind the engine's back: what an administrator,
/// a container runtime or another tool would do with `ip`, `nft` or sysfs.
extension FakeKernel {
    /// A MAC as the kernel makes one up (locally administered; deterministic here).
    func randomMAC() -> MACAddress {
        macCounter += 1
        return MACAddress(bytes: [0x0a, 0x58, 0, 0, UInt8(macCounter >> 8 & 0xff), UInt8(macCounter & 0xff)])!
    }

    /// `ip netns add NAME` by someone else: lo down, no mark.
    @discardableResult
    func addNamespace(_ name: String) -> NamespaceIdentity {
        let ns = makeNamespace()
        named[name] = ns.id
        return ns.identity
    }

    /// `ip netns delete NAME` by someone else.
    func removeNamespace(_ name: String) {
        guard let id = named.removeValue(forKey: name) else { return }
        collect(id)
    }

    /// A process in an existing namespace, or in a new one of its own.
    @discardableResult
    func addProcess(_ pid: Int, in ref: NamespaceRef? = nil, startTime: UInt64 = 1000) -> ProcessIdentity {
        let ns = ref.flatMap(resolve) ?? makeNamespace().id
        let p = ProcessIdentity(pid: pid, startTime: startTime)
        processes[pid] = (p, ns)
        return p
    }

    func killProcess(_ pid: Int) {
        guard let p = processes.removeValue(forKey: pid) else { return }
        collect(p.ns)
    }

    func id(of name: String, in ref: NamespaceRef = .host) -> FakeLinkID? {
        guard let ns = resolve(ref), let l = namespaces[ns]?.link(named: name) else { return nil }
        return FakeLinkID(ns: ns, index: l.index)
    }

    /// A link made by someone else (`ip link add NAME type KIND`; kind nil: a device).
    @discardableResult
    func addLink(_ name: String, in ref: NamespaceRef = .host, kind: String?, alias: String? = nil, mac: MACAddress? = nil,
                 up: Bool = true, master: String? = nil) -> FakeLinkID {
        let ns = namespaces[resolve(ref)!]!
        let index = ns.allocateIndex()
        ns.links[index] = FakeLink(index: index, name: name, kind: kind, master: master.flatMap { ns.link(named: $0)?.index },
                                   mac: mac ?? randomMAC(), alias: alias)
        let id = FakeLinkID(ns: ns.id, index: index)
        ns.adjustBridgeMTUs()
        setUp(id, up)
        return id
    }

    /// `ip link set dev NAME …` by someone else (nothing is checked).
    func edit(_ name: String, in ref: NamespaceRef = .host, _ body: (inout FakeLink) -> Void) {
        guard let id = id(of: name, in: ref) else { return }
        let wasUp = link(id)!.up
        var l = link(id)!
        body(&l)
        let up = l.up
        l.up = wasUp
        namespaces[id.ns]!.links[id.index] = l
        namespaces[id.ns]!.adjustBridgeMTUs()
        setUp(id, up)
    }

    /// `ip link del dev NAME` by someone else.
    func deleteLink(_ name: String, in ref: NamespaceRef = .host) {
        if let id = id(of: name, in: ref) { removeLink(id) }
    }

    func addAddress(_ prefix: String, to name: String, in ref: NamespaceRef = .host) {
        let id = id(of: name, in: ref)!
        namespaces[id.ns]!.addresses.append(AddressInfo(index: id.index, prefix: IPPrefix(prefix)!, flags: Self.permanent))
    }

    func addRoute(_ to: String, via: String?, dev name: String, in ref: NamespaceRef = .host, metric: Int = 0) {
        let id = id(of: name, in: ref)!
        namespaces[id.ns]!.routes.append(RouteInfo(destination: to == "default" ? .defaultRoute(.v4) : IPPrefix(to)!,
                                                   gateway: via.flatMap(IPAddress.init), index: id.index, metric: metric))
    }

    /// A physical NIC in the host namespace, up, with its ethtool state and queue
    /// interrupts (each first on `cpus`).
    func addNIC(_ name: String, _ nic: FakeNIC, mac: String, cpus: CPUSet) {
        addLink(name, kind: nil, mac: MACAddress(mac)!)
        nics[name] = nic
        for q in nic.irqs { irqAffinity[q.irq] = cpus }
    }

    /// `nft delete rule` of the rules of `table` whose comment is `comment` (in `chain`, or in any).
    func deleteRules(in table: TableName, comment: String, chain: String? = nil) {
        guard let text = tables[table] else { return }
        var current = ""
        tables[table] = text.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
            if line.hasPrefix("\tchain ") { current = String(line.dropFirst(7).dropLast(2)) }
            let rule = line.hasPrefix("\t\t") && line.hasSuffix("comment \"\(comment)\"")
            return !(rule && (chain == nil || chain == current))
        }.joined(separator: "\n")
    }
}
