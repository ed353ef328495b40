import PlumbFirewall
import PlumbManifest
import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// Reads the kernel into an ObservedState through the kernel seam: one
/// link/address/route dump per namespace the layer names, the namespaces'
/// identities, the sysctls, PFs, NICs and the owner's nftables table.
public struct Observer {
    let kernel: any Kernel
    /// Tables read earlier under the lock that is still held (`Engine.provision(binding:…)`),
    /// used instead of reading them again; nil: absent when read.
    let tablesRead: [TableName: ObservedFirewall?]

    public init(kernel: any Kernel, tablesRead: [TableName: ObservedFirewall?] = [:]) {
        self.kernel = kernel
        self.tablesRead = tablesRead
    }

    /// What an apply plan reads. `host`: an observation of the host made under the same lock
    /// with nothing changed since, whose host part is used instead of reading it again.
    public func observe(_ layer: Layer, record: Record?, host: ObservedState? = nil) throws -> ObservedState {
        let m = layer.manifest
        var state = try host?.hostPart ?? base()
        Trace.mark("observe: host read")
        var read: Set<NamespaceRef> = []
        for c in m.containers {
            guard let ns = c.netns, read.insert(ns).inserted else { continue }
            if var seen = try namespace(ns, dump: .all) {
                // Rules only where some are declared: a dump per namespace costs at scale.
                if !c.effectiveRules.isEmpty || (record?.ruleEntries.contains { $0.namespace == ns } ?? false) {
                    seen.snapshot?.rules = try kernel.links(in: ns).rules()
                }
                state.namespaces.append(seen)
            }
        }
        if layer.managesHost && (!m.host.rules.isEmpty || !(record?.hostRules.isEmpty ?? true)) {
            state.host.rules = try kernel.links(in: .host).rules()
        }
        let rfs = m.nics.contains { $0.tuning?.rps?.wantsFlows == true } ? [Planner.sockFlowEntries] : []
        let sysctls = Set(NATDesign.requiredSysctls(layer).map(\.key) + (record?.sysctls.map(\.key) ?? []) + rfs)
        Trace.mark("observe: namespaces read")
        for key in sysctls.sorted() { state.sysctls[key] = try kernel.proc.sysctl(key) }
        try observePFs(layer, into: &state)
        observeEswitches(layer, record: record, into: &state)
        try observeBusInfo(m, into: &state)
        for nic in m.nics where layer.managesHost && nic.tuning != nil {
            guard let name = resolve(nic.selector.pfSelector) else { continue }
            state.nicNames[nic.reference] = name
            if try kernel.links(in: .host).link(name: name) != nil { state.nics[name] = try observeNIC(name) }
        }
        for o in record?.nics ?? [] where state.nics[o.nic] == nil {
            if try kernel.links(in: .host).link(name: o.nic) != nil { state.nics[o.nic] = try observeNIC(o.nic) }
        }
        if !NATDesign.ruleset(layer).isEmpty || record?.table != nil {
            Trace.mark("observe: sysctls, PFs, NICs read")
            state.firewall = try tablesRead[layer.marks.table] ?? kernel.firewall(layer.marks.table).observe()
            Trace.mark("observe: nftables table read")
        }
        if m.containers.contains(where: { !$0.ports.isEmpty }) { state.boundSockets = try kernel.boundSockets() }
        if m.nics.contains(where: { $0.sriov?.persist == true }) || !(record?.modprobe.isEmpty ?? true) {
            state.modprobeText = try kernel.proc.read(.igbMaxVFs)
        }
        return state
    }

    /// What a destroy plan reads: only the namespaces the record names, and their links
    /// only where a VF must come home or the namespace may be deleted (its mark, and
    /// whether it holds links that are not Plumb's). Each handle is closed after use:
    /// thousands of namespaces must not hold thousands of sockets.
    public func observeForDestroy(_ record: Record) throws -> ObservedState {
        var state = try base()
        for entry in record.namespaces {
            // Links inside: moved VFs go home, a macvlan, ipvlan or VLAN is deleted where it lives.
            let needsLinks = record.movedVFs.contains { $0.link.namespace == entry.ref } || entry.created
                || record.links.contains { $0.kind.hasParent && $0.link.namespace == entry.ref }
            if var seen = try namespace(entry.ref, dump: needsLinks ? .links : .none) {
                if record.ruleEntries.contains(where: { $0.namespace == entry.ref }) { seen.rules = try kernel.links(in: entry.ref).rules() }
                state.namespaces.append(seen)
            }
            kernel.release(entry.ref)
        }
        for s in record.sysctls { state.sysctls[s.key] = try kernel.proc.sysctl(s.key) }
        for nic in Set(record.nics.map(\.nic) + record.irqs.map(\.nic)).sorted()
            where try kernel.links(in: .host).link(name: nic) != nil {
            state.nics[nic] = try observeNIC(nic)
        }
        for pf in Set(record.vfs.map(\.pf) + record.numVFs.map(\.pf) + record.movedVFs.map(\.pf) + record.boundVFs.map(\.pf)).sorted() {
            state.pfs[pf] = observePF(.name(pf))
        }
        for e in record.eswitches { state.eswitch[e.pf] = kernel.eswitch.eswitch(of: e.pf) }
        if record.table != nil { state.firewall = try kernel.firewall(Marks(record.owner).table).observe() }
        if !record.hostRules.isEmpty { state.host.rules = try kernel.links(in: .host).rules() }
        if !record.modprobe.isEmpty { state.modprobeText = try kernel.proc.read(.igbMaxVFs) }
        return state
    }

    func base() throws -> ObservedState {
        let netns = try kernel.namedNamespaceEntries()
        var s = ObservedState(hostIdentity: try kernel.hostIdentity(), host: try snapshot(.host),
                              namedNamespaces: netns.namespaces)
        s.placeholders = netns.placeholders
        return s
    }

    /// How much of a namespace to read.
    enum Dump { case none, links, all }

    /// A namespace's identity (and for a pid, its process), with what `dump` asks of it.
    func namespace(_ ns: NamespaceRef, dump: Dump) throws -> ObservedNamespace? {
        guard let id = try kernel.identity(of: ns) else { return nil }
        var process: ProcessIdentity?
        if case .pid(let p) = ns.canonical { process = try kernel.process(p) }
        let seen: NamespaceSnapshot?
        switch dump {
        case .none: seen = nil
        case .links: seen = NamespaceSnapshot(links: try kernel.links(in: ns).links())
        case .all: seen = try snapshot(ns)
        }
        return ObservedNamespace(ref: ns, identity: id, process: process, snapshot: seen)
    }

    public func snapshot(_ ns: NamespaceRef) throws -> NamespaceSnapshot {
        let l = try kernel.links(in: ns)
        return NamespaceSnapshot(links: try l.links(), addresses: try l.addresses(), routes: try l.routes())
    }

    /// A NIC selector's netdev name, nil when nothing matches.
    func resolve(_ selector: PFSelector) -> String? {
        if case .name(let n) = selector { return n }
        return try? kernel.sriov.findPF(selector).name
    }

    func observeNIC(_ name: String) throws -> NICState {
        var s = NICObserver(ethtool: try kernel.ethtool(in: .host), proc: kernel.proc).observe(name)
        let link = try kernel.links(in: .host).link(name: name)
        s.txqueuelen = link?.txqlen
        if let link { s.checkQueuesAreOurs(link.index, sysfs: kernel.proc.sysfsIndex(of: name)) }
        return s
    }
}

extension NIC.Selector {
    /// The same selector as the kernel seam takes it.
    public var pfSelector: PFSelector {
        switch self {
        case .name(let n): return .name(n)
        case .pci(let p): return .pci(p)
        case .mac(let m): return .mac(m)
        }
    }
}
