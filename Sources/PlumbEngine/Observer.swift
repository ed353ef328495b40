import PlumbFirewall
import PlumbManifest
import PlumbNetlink
import PlumbSystem

/// Reads the kernel into an ObservedState: one link/address/route dump per
/// namespace the manifest names, the named-namespace list, the declared sysctls.
public struct Observer {
    let session: KernelSession

    public init(session: KernelSession) { self.session = session }

    /// `forDestroy`: only what a destroy plan reads — the host, the named namespaces,
    /// and the namespaces holding VFs to return; a container namespace Plumb deletes
    /// need not be opened and dumped first.
    public func observe(_ m: Manifest, record: OwnershipRecord?, forDestroy: Bool = false) throws -> ObservedState {
        var state = ObservedState()
        state.host = try snapshot(session.host)
        state.namedNamespaces = NamedNamespaces.list()
        let wanted = forDestroy ? Set((record?.movedVFs ?? []).map(\.namespace)) : Set(m.containers.compactMap { $0.netns?.key })
        for key in wanted.sorted() {
            guard let h = try session.handle(key) else { continue }
            state.namespaces[key] = try snapshot(h.socket)
        }
        let keys = Set((m.host.sysctl + NATDesign.impliedSysctls(m)).map(\.key)).union(record?.sysctls.keys ?? [:].keys)
        for key in keys {
            if let v = try? Sysctls.read(key) { state.sysctls[key] = v }
        }
        try observePFs(m, into: &state)
        for nic in m.nics where nic.tuning != nil || record?.nicOriginals[nic.reference] != nil {
            guard let name = resolve(nic) else { continue }
            state.nicNames[nic.reference] = name
            if session.hostHasLink(name) { state.nics[name] = NICObserver(ethtool: try session.ethtool()).observe(name) }
        }
        for name in (record?.nicOriginals.keys).map(Array.init) ?? [] where state.nics[name] == nil && session.hostHasLink(name) {
            state.nics[name] = NICObserver(ethtool: try session.ethtool()).observe(name)
        }
        if !NATDesign.ruleset(m).isEmpty || record?.firewallTable != nil {
            state.firewall = try session.firewall(NATDesign.table(for: m.name)).observe()
        }
        return state
    }

    /// A NIC selector's netdev name: the name itself, or the device that has the PCI
    /// address / MAC in sysfs.
    func resolve(_ nic: NIC) -> String? {
        switch nic.selector {
        case .name(let n): return n
        case .pci(let p): return try? SRIOVSysfs().findPF(pci: p).name
        case .mac(let m): return try? SRIOVSysfs().findPF(mac: m.description).name
        }
    }

    func snapshot(_ s: RouteSocket) throws -> NamespaceSnapshot {
        NamespaceSnapshot(links: try s.links(), addresses: try s.addresses(), routes: try s.routes())
    }
}
