import PlumbManifest
import PlumbNetlink
import PlumbSystem
import PlumbTypes

extension Observer {
    /// Each PF the layer names (in `nics` with `sriov`, or in a `vf:` interface).
    func observePFs(_ layer: Layer, into state: inout ObservedState) throws {
        let m = layer.manifest
        let refs = Set(m.nics.filter { $0.sriov != nil }.map(\.reference) + m.containers.flatMap { $0.interfaces.compactMap(\.vfNIC) })
        for ref in refs.sorted() {
            guard let nic = m.nics.first(where: { $0.reference == ref }) else { continue }
            state.pfs[ref] = observePF(nic.selector.pfSelector)
        }
    }

    /// The PCI address of each `vf:` interface already present in its container:
    /// proof that the link there is that VF, not something else with its name.
    func observeBusInfo(_ m: Manifest, into state: inout ObservedState) throws {
        for c in m.containers where c.interfaces.contains(where: { $0.vfNIC != nil }) {
            guard let ns = c.netns, let seen = state.namespace(ns), let snapshot = seen.snapshot else { continue }
            for iface in c.interfaces where iface.vfNIC != nil && snapshot.link(named: iface.name) != nil {
                let bus = (try? kernel.ethtool(in: ns).driverInfo(iface.name).busInfo) ?? ""
                state.busInfo.append(BusInfo(namespace: ns, link: iface.name, pciAddress: bus))
            }
        }
    }

    func observePF(_ selector: PFSelector) -> PFState {
        do {
            let pf = try kernel.sriov.findPF(selector)
            var s = PFState(pf: pf)
            s.userspaceDrivers = VFUserspaceDriver.allCases.filter { kernel.sriov.pciDriverLoaded($0.rawValue) }
            if pf.hasSRIOV, (pf.numVFs ?? 0) > 0, let link = try kernel.links(in: .host).link(name: pf.name) {
                s.settings = try kernel.links(in: .host).vfSettings(pfIndex: link.index, pfName: pf.name)
            }
            return s
        } catch {
            return PFState(error: "\(error)")
        }
    }
}

extension Interface {
    /// The `nic` of a `vf:` interface.
    public var vfNIC: String? {
        switch kind {
        case .vf(let nic, _), .userspaceVF(let nic, _, _): return nic
        case .veth, .macvlan, .ipvlan, .vlan: return nil
        }
    }
}
