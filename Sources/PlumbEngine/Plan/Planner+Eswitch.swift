import PlumbManifest
import PlumbTypes

/// `nics[].sriov.eswitchMode` → one devlink eswitch change, before the PF's VF count:
/// drivers that have an eswitch take the mode best with no VFs yet (mlx5 refuses a change
/// while VFs are bound), and switchdev makes each VF's representor as the VF appears.
extension Planner {
    func eswitchSteps(_ nic: NIC, index i: Int) throws -> [Step] {
        guard let want = nic.sriov?.eswitchMode else { return [] }
        let path = "nics[\(i)].sriov.eswitchMode"
        guard let pfState = observed.pfs[nic.reference], let pf = pfState.pf else {
            throw error(path, observed.pfs[nic.reference]?.error ?? "no network interface \(nic.reference)")
        }
        guard let s = observed.eswitch[pf.name], let handle = s.handle, let mode = s.mode else {
            let why = observed.eswitch[pf.name]?.unsupported ?? "its eswitch was not observed"
            throw error(path, "\(pf.name) (driver \(pf.driver ?? "none")) has no eswitch: \(why)")
        }
        if want == .switchdev, let vf = nic.sriov?.vfs.first(where: { $0.maxTxRate != nil }) {
            throw error(path, "switchdev with a PF-side rate on VF \(vf.index): in switchdev mode a VF's rate is set on its representor (devlink rate), which Plumb does not do; drop maxTxRate or keep legacy")
        }
        guard mode != want else { return [] }
        return [Step(.setEswitchMode(EswitchChange(pf: pf.name, device: handle, mode: Change(to: want, from: mode))),
                     reason: "\(handle) is in \(mode) mode")]
    }
}
