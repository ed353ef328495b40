import PlumbManifest
import PlumbNetlink
import PlumbSystem

extension Observer {
    /// Each PF the manifest names (in `nics` with `sriov`, or in a `vf:` interface).
    func observePFs(_ m: Manifest, into state: inout ObservedState) throws {
        let refs = Set(m.nics.filter { $0.sriov != nil }.map(\.reference)
                       + m.containers.flatMap { $0.interfaces.compactMap(\.vfNIC) })
        for ref in refs.sorted() {
            guard let nic = m.nics.first(where: { $0.reference == ref }) else { continue }
            state.pfs[ref] = observePF(nic)
        }
        for c in m.containers {
            guard let key = c.netns?.key, let h = try session.handle(key) else { continue }
            for iface in c.interfaces where iface.vfNIC != nil {
                guard state.namespaces[key]?.link(named: iface.name) != nil else { continue }
                let bus = try? h.namespace.run { try EthtoolSocket(label: "netns \(key)").driverInfo(iface.name).busInfo }
                state.busInfo["\(key)/\(iface.name)"] = bus ?? ""
            }
        }
    }

    func observePF(_ nic: NIC) -> PFState {
        do {
            let sys = SRIOVSysfs()
            let pf: PhysicalFunction
            switch nic.selector {
            case .name(let n): pf = try sys.findPF(name: n)
            case .pci(let p): pf = try sys.findPF(pci: p)
            case .mac(let m): pf = try sys.findPF(mac: m.description)
            }
            var s = PFState(pf: pf)
            if pf.hasSRIOV, let link = try session.host.link(name: pf.name), (pf.numVFs ?? 0) > 0 {
                s.settings = try session.host.vfSettings(pfIndex: link.index, pfName: pf.name)
            }
            s.modprobeText = (try? ModprobeOption.read()) ?? ""
            return s
        } catch {
            return PFState(error: "\(error)")
        }
    }
}

extension Interface {
    /// The `nic` of a `vf:` interface.
    public var vfNIC: String? {
        if case .vf(let nic, _) = kind { return nic }
        return nil
    }
}
