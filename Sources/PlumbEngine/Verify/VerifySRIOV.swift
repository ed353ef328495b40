import PlumbManifest
import PlumbNetlink
import PlumbSystem

extension Verifier {
    /// Each PF's declared VF count (sysfs) and the PF-side settings of each VF `nics[].sriov.vfs`
    /// declares (IFLA_VFINFO_LIST) — also for VFs no container uses (a VM's, a DPDK app's, a
    /// driver without VF devices such as netdevsim), which no container row would cover.
    func sriovChecks() -> [Check] {
        guard layer.managesHost else { return [] }
        return manifest.nics.flatMap { nic -> [Check] in
            guard let sriov = nic.sriov else { return [] }
            let pf: PhysicalFunction
            do { pf = try kernel.sriov.findPF(nic.selector.pfSelector) } catch {
                return [Check("numvfs", nic.reference, .fail, expected: "\(sriov.numVFs) VFs", observed: "\(error)", evidence: [.procfs])]
            }
            var checks: [Check] = [.expect("numvfs", pf.name, pf.numVFs == sriov.numVFs, expected: "\(sriov.numVFs) VFs",
                                           observed: "\(pf.numVFs.map(String.init) ?? "?") VFs (device/sriov_numvfs)", evidence: [.procfs])]
            guard !sriov.vfs.isEmpty else { return checks }
            let settings: [VFSettings]
            do {
                guard let link = try kernel.links(in: .host).link(name: pf.name) else { return checks }
                settings = try kernel.links(in: .host).vfSettings(pfIndex: link.index, pfName: pf.name)
            } catch {
                return checks + [Check("vf-settings", pf.name, .fail, expected: "readable", observed: "\(error)", evidence: [.netlink])]
            }
            for vf in sriov.vfs {
                let name = "\(pf.name) vf \(vf.index)"
                guard let s = settings.first(where: { $0.index == vf.index }) else {
                    checks.append(Check("vf-settings", name, .fail, expected: "as declared", observed: "no such VF", evidence: [.netlink]))
                    continue
                }
                let diff = VFPlan.difference(vf, from: s)
                checks.append(.expect("vf-settings", name, diff.isEmpty, expected: "as declared",
                                      observed: diff.isEmpty ? "as declared" : "differs:\(diff.arguments)", evidence: [.netlink]))
            }
            return checks
        }
    }
}
