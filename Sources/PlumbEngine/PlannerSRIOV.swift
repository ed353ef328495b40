import PlumbManifest
import PlumbNetlink
import PlumbSystem

/// `nics[].sriov` → sriov_numvfs writes, the modprobe option, and PF-side VF settings.
extension Planner {
    /// The PF a reference names, or the plan error saying why there is none.
    func pf(_ ref: String, path: String) throws -> (PhysicalFunction, PFState) {
        guard let s = observed.pfs[ref] else { throw error(path, "\(ref) was not observed") }
        guard let pf = s.pf else { throw error(path, s.error ?? "no network interface \(ref)") }
        guard let total = pf.totalVFs else {
            throw error(path, "\(pf.name) (driver \(pf.driver ?? "none")) has no SR-IOV: device/sriov_totalvfs is missing")
        }
        _ = total
        return (pf, s)
    }

    func sriovSteps(_ nic: NIC, index i: Int) throws -> [Step] {
        guard let sriov = nic.sriov else { return [] }
        let path = "nics[\(i)].sriov"
        let (pf, state) = try pf(nic.reference, path: "nics[\(i)]")
        let total = pf.totalVFs!
        if sriov.numVFs > total {
            throw error("\(path).numVFs", "\(sriov.numVFs) is beyond sriov_totalvfs \(total) of \(pf.name) (driver \(pf.driver ?? "none"))")
        }
        var steps = try numVFsSteps(sriov, pf, path: path)
        if sriov.persist, ModprobeOption.igbMaxVFs(sriov.numVFs).currentValue(in: state.modprobeText) != String(sriov.numVFs) {
            steps.append(Step(.persistMaxVFs, ModprobeOption.defaultPath, ["count": String(sriov.numVFs), "old": state.modprobeText]))
        }
        let recreated = !steps.filter { $0.action == .setNumVFs }.isEmpty
        for vf in sriov.vfs {
            let current = recreated ? nil : state.settings(of: vf.index)
            if let s = vfSettingStep(vf, pf: pf, current: current ?? freshVFSettings) { steps.append(s) }
        }
        return steps
    }

    /// igb cannot go from one non-zero count to another: it must pass through 0,
    /// destroying the live VFs. That is refused unless the user allows it.
    func numVFsSteps(_ sriov: SRIOV, _ pf: PhysicalFunction, path: String) throws -> [Step] {
        let change = NumVFsChange(current: pf.numVFs ?? 0, desired: sriov.numVFs)
        guard !change.writes.isEmpty else { return [] }
        let why = "destroys the \(change.current) live VFs: \(pf.driver ?? "the driver") needs 0 before a new non-zero count"
        if change.throughZero && !(sriov.allowDisruptive || allowDisruptive) {
            throw error("\(path).numVFs", "changing \(pf.name) from \(change.current) to \(change.desired) VFs \(why); pass --allow-disruptive or set sriov.allowDisruptive: true")
        }
        var old = change.current
        return change.writes.map { n in
            defer { old = n }
            var f = ["count": String(n), "old": String(old), "total": String(pf.totalVFs ?? 0)]
            if n == 0 && change.current > 0 { f["reason"] = why }
            return Step(.setNumVFs, pf.name, f)
        }
    }

    /// One step with every VF setting that differs, each with the value it replaces.
    func vfSettingStep(_ vf: VFConfig, pf: PhysicalFunction, current c: VFSettings) -> Step? {
        var f: [String: String] = [:]
        func set(_ key: String, _ want: String?, _ have: String) {
            guard let want, want != have else { return }
            f[key] = want; f["old.\(key)"] = have
        }
        set("mac", vf.mac?.description, c.mac?.description ?? "00:00:00:00:00:00")
        if vf.vlan != nil || vf.qos != nil || vf.vlanProto != nil {
            let want = "\(vf.vlan ?? 0)/\(vf.qos ?? 0)/\((vf.vlanProto ?? .dot1q).rawValue)"
            set("vlan", want, "\(c.vlan.id)/\(c.vlan.qos)/\(c.vlan.proto.rawValue)")
        }
        set("spoofCheck", vf.spoofCheck.map(String.init), c.spoofCheck.map(String.init) ?? "")
        set("trust", vf.trust.map(String.init), c.trust.map(String.init) ?? "")
        set("maxTxRate", vf.maxTxRate.map(String.init), String(c.maxTxRate))
        set("linkState", vf.linkState, c.linkState?.rawValue ?? "")
        guard !f.isEmpty else { return nil }
        f["pf"] = pf.name; f["vf"] = String(vf.index); f["driver"] = pf.driver ?? ""
        return Step(.setVF, "\(pf.name) vf \(vf.index)", f)
    }
}

/// `vf:` interfaces: the VF's netdev moved into the container and renamed.
extension Planner {
    func vfSteps(_ iface: Interface, nic: String, index: Int, ns: NamespaceKey, inner: NamespaceSnapshot,
                 path: String, into p: inout Phases) throws {
        let (pf, _) = try pf(nic, path: "\(path).vf.nic")
        let total = pf.totalVFs!
        if index >= total { throw error("\(path).vf.index", "\(index) is beyond sriov_totalvfs \(total) of \(pf.name)") }
        let vf = pf.vf(index)
        if let here = inner.link(named: iface.name) {
            let bus = observed.busInfo["\(ns)/\(iface.name)"]
            guard let vf, bus == vf.pciAddress else {
                throw error("\(path).name", "netns \(ns) already has an interface \(iface.name) that is not VF \(index) of \(pf.name)\(bus.map { $0.isEmpty ? "" : " (it is \($0))" } ?? "")")
            }
            p.settings += linkSettings(here, in: ns, mtu: iface.mtu, mac: nil)
            p.addresses += addressSteps(here, desired: iface.addresses, snapshot: inner, in: ns)
            return
        }
        let recreated = !p.sriov.filter { $0.action == .setNumVFs && $0.object == pf.name }.isEmpty
        guard recreated || vf?.netdev != nil else {
            throw error("\(path).vf", "VF \(index) of \(pf.name) has no netdev in the host namespace (moved elsewhere, or no driver bound) and is not \(iface.name) in netns \(ns)")
        }
        var f = ["pf": pf.name, "vf": String(index), "peerNamespace": ns, "name": iface.name]
        let declared = manifest.nics.first { $0.reference == nic }?.sriov?.vfs.first { $0.index == index }
        if let mac = declared?.mac { f["mac"] = mac.description }
        if !recreated, let host = vf?.netdev { f["hostName"] = host }
        p.links.append(Step(.moveVF, "\(pf.name) vf \(index)", f))
        var set = ["up": "true", "alias": alias]
        if let m = iface.mtu { set["mtu"] = String(m) }
        p.settings.append(Step(.setLink, iface.name, in: ns, set))
        p.addresses += iface.addresses.map { Step(.addAddress, iface.name, in: ns, ["prefix": $0.description]) }
    }
}
