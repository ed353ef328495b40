import PlumbManifest
import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// `nics[].sriov` → sriov_numvfs writes, the modprobe option, and PF-side VF settings.
extension Planner {
    /// The PF a reference names, or the plan error saying why there is none.
    func pf(_ ref: String, path: String) throws -> (PhysicalFunction, PFState, total: Int) {
        guard let s = observed.pfs[ref] else { throw error(path, "\(ref) was not observed") }
        guard let pf = s.pf else { throw error(path, s.error ?? "no network interface \(ref)") }
        guard let total = pf.totalVFs else {
            throw error(path, "\(pf.name) (driver \(pf.driver ?? "none")) has no SR-IOV: device/sriov_totalvfs is missing")
        }
        return (pf, s, total)
    }

    func sriovSteps(_ nic: NIC, index i: Int) throws -> [Step] {
        guard let sriov = nic.sriov else { return [] }
        let path = "nics[\(i)].sriov"
        let (pf, state, total) = try pf(nic.reference, path: "nics[\(i)]")
        if sriov.numVFs > total {
            throw error("\(path).numVFs", "\(sriov.numVFs) is beyond sriov_totalvfs \(total) of \(pf.name) (driver \(pf.driver ?? "none"))")
        }
        try checkCapabilities(sriov, pf: pf, state: state, path: path)
        var steps = try numVFsSteps(sriov, pf, path: path)
        if sriov.persist {
            let option = ModprobeOption.igbMaxVFs(sriov.numVFs)
            let current = observed.modprobeText ?? ""
            if option.currentValue(in: current) != String(sriov.numVFs) {
                steps.append(Step(.writeModprobe(ModprobeWrite(file: .igbMaxVFs, text: Change(to: option.merged(into: current), from: observed.modprobeText),
                                                               count: sriov.numVFs))))
            }
        }
        let recreated = steps.contains { if case .setNumVFs = $0.action { return true } else { return false } }
        for vf in sriov.vfs {
            let current = recreated ? nil : state.settings(of: vf.index)
            if let s = vfSettingStep(vf, pf: pf, current: current ?? DriverFactTable.freshVF(pf.driver)) { steps.append(s) }
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
            return Step(.setNumVFs(NumVFsWrite(pf: pf.name, count: Change(to: n, from: old))),
                        reason: n == 0 && change.current > 0 ? why : nil)
        }
    }

    /// One step with every VF setting that differs, each with the value it replaces.
    func vfSettingStep(_ vf: VFConfig, pf: PhysicalFunction, current c: VFSettings) -> Step? {
        let u = VFUpdate(pf: pf.name, vf: vf.index, driver: pf.driver, settings: VFPlan.difference(vf, from: c))
        return u.settings.isEmpty ? nil : Step(.setVF(u))
    }
}

/// Declared VF settings against observed ones: the manifest value → the kernel request.
enum VFPlan {
    static let noMAC = MACAddress(bytes: [0, 0, 0, 0, 0, 0])!

    static func difference(_ vf: VFConfig, from c: VFSettings) -> VFSettingsChange {
        var s = VFSettingsChange()
        func change<V>(_ want: V?, _ have: V) -> Change<V>? {
            guard let want, want != have else { return nil }
            return Change(to: want, from: have)
        }
        s.mac = change(vf.mac, c.mac ?? noMAC)
        if vf.vlan != nil || vf.qos != nil || vf.vlanProto != nil {
            s.vlan = change(VFVLAN(id: vf.vlan ?? 0, qos: vf.qos ?? 0, proto: vf.vlanProto ?? .dot1q), c.vlan)
        }
        // A setting the driver does not report cannot be compared: it is set, and its
        // "old" value is the kernel's default.
        s.spoofCheck = change(vf.spoofCheck, c.spoofCheck ?? !(vf.spoofCheck ?? true))
        s.trust = change(vf.trust, c.trust ?? !(vf.trust ?? false))
        s.maxTxRate = change(vf.maxTxRate, c.maxTxRate)
        s.minTxRate = change(vf.minTxRate, c.minTxRate)
        s.linkState = change(vf.linkState, c.linkState ?? .auto)
        // A driver that does not report RSS query has it off (the VF cannot query).
        s.queryRSS = change(vf.queryRSS, c.queryRSS ?? false)
        return s
    }
}

/// `vf:` interfaces: the VF's netdev moved into the container and renamed.
extension Planner {
    func vfSteps(_ iface: Interface, nic: String, index: Int, ns: NamespaceRef, inner: NamespaceSnapshot,
                 path: String, into p: inout Phases) throws {
        let (pf, _, total) = try pf(nic, path: "\(path).vf.nic")
        if index >= total { throw error("\(path).vf.index", "\(index) is beyond sriov_totalvfs \(total) of \(pf.name)") }
        let vf = pf.vf(index)
        if let here = inner.link(named: iface.name) {
            // Proof: the link there is this VF (its PCI address), not something with its name.
            let bus = observed.bus(iface.name, in: ns)
            guard let vf, bus == vf.pciAddress else {
                throw error("\(path).name", "\(ns) already has an interface \(iface.name) that is not VF \(index) of \(pf.name)\(bus.map { $0.isEmpty ? "" : " (it is \($0))" } ?? "")")
            }
            p.settings += linkSettings(here, in: ns, mtu: iface.mtu, mac: nil)
            p.addresses += addressSteps(here, desired: iface.addresses, snapshot: inner, in: ns)
            return
        }
        let recreated = p.sriov.contains { s in
            if case .setNumVFs(let w) = s.action { return w.pf == pf.name }
            return false
        }
        guard recreated || vf?.netdev != nil else {
            throw error("\(path).vf", "VF \(index) of \(pf.name) has no netdev in the host namespace (moved elsewhere, or no driver bound) and is not \(iface.name) in \(ns)")
        }
        let declared = manifest.nics.first { $0.reference == nic }?.sriov?.vfs.first { $0.index == index }
        // What the move changes on a netdev that exists now, to put back when it returns.
        let previous = recreated ? nil : vf?.netdev.flatMap { observed.host.link(named: $0) }.map { l in
            LinkSettings(mtu: iface.mtu.flatMap { $0 == l.mtu ? nil : l.mtu }, alias: l.alias ?? "")
        }
        p.links.append(Step(.moveVF(VFMove(pf: pf.name, vf: index, hostName: recreated ? nil : vf?.netdev,
                                           to: LinkRef(iface.name, in: ns), mac: declared?.mac, mtu: iface.mtu, alias: alias,
                                           previous: previous))))
        p.addresses += iface.addresses.map { address(.add, $0, on: LinkRef(iface.name, in: ns)) }
    }
}
