import PlumbManifest
import PlumbSystem
import PlumbTypes

/// `vf: {nic, index, driver: vfio-pci}`: the VF's PCI device bound to a userspace driver for
/// DPDK. No netdev then: nothing is moved or renamed; the container is handed /dev/vfio/N.
extension Planner {
    func userspaceVFSteps(nic: String, index: Int, driver: VFUserspaceDriver, path: String, into p: inout Phases) throws {
        let (pf, state, total) = try pf(nic, path: "\(path).vf.nic")
        if index >= total { throw error("\(path).vf.index", "\(index) is beyond sriov_totalvfs \(total) of \(pf.name)") }
        guard state.userspaceDrivers?.contains(driver) == true else {
            throw error("\(path).vf.driver", "PCI driver \(driver.rawValue) is not loaded (/sys/bus/pci/drivers/\(driver.rawValue) is missing: modprobe \(driver.rawValue))")
        }
        let recreated = p.sriov.contains { s in
            if case .setNumVFs(let w) = s.action { return w.pf == pf.name && w.count.to > 0 }
            return false
        }
        guard !recreated else {
            // Made by this apply: its address, driver and group are read when the step runs.
            p.links.append(Step(.bindVF(VFBind(pf: pf.name, vf: index, pciAddress: nil, driver: Change(to: driver.rawValue, from: nil),
                                               iommuGroup: nil))))
            return
        }
        guard let vf = pf.vf(index) else {
            throw error("\(path).vf.index", "VF \(index) of \(pf.name) does not exist (\(pf.numVFs ?? 0) VFs enabled)")
        }
        let label = "VF \(index) of \(pf.name) (\(vf.pciAddress))"
        if vf.driver == driver.rawValue {
            // Bound there by this owner (its record says so): converged. By anyone else: theirs.
            if record.boundVFs.contains(where: { $0.pf == pf.name && $0.vf == index && $0.driver.applied == driver.rawValue }) { return }
            throw error("\(path).vf", "\(label) is already bound to \(driver.rawValue), not by this owner: another user's DPDK VF")
        }
        guard let group = vf.iommuGroup else {
            throw error("\(path).vf.driver", "\(label) has no IOMMU group: \(driver.rawValue) needs the IOMMU on (intel_iommu=on or amd_iommu=on on the kernel command line)")
        }
        if vf.driver != nil && vf.netdev == nil {
            throw error("\(path).vf", "\(label) has no netdev in the host namespace (moved into a container?): in use, not rebound")
        }
        p.links.append(Step(.bindVF(VFBind(pf: pf.name, vf: index, pciAddress: vf.pciAddress, driver: Change(to: driver.rawValue, from: vf.driver),
                                           iommuGroup: group)),
                            reason: vf.netdev.map { "its netdev \($0) goes with \(vf.driver ?? "its driver")" }))
    }
}

extension DestroyPlanner {
    /// VFs this owner bound to a userspace driver get their driver back — only while they are
    /// still bound to the driver Plumb bound (rebound since, they are someone else's).
    func vfDriverRestoreSteps(_ notes: inout [String]) -> [Step] {
        record.boundVFs.sorted { ($0.pf, $0.vf) < ($1.pf, $1.vf) }.compactMap { b -> Step? in
            guard let pf = observed.pfs[b.pf]?.pf, let vf = pf.vf(b.vf) else {
                notes.append("VF \(b.vf) of \(b.pf) is gone: no driver to give back")
                return nil
            }
            if let pci = b.pciAddress, pci != vf.pciAddress {
                notes.append("VF \(b.vf) of \(b.pf) left as it is: it is \(vf.pciAddress) now, not \(pci) as plumb bound it")
                return nil
            }
            guard vf.driver == b.driver.applied else {
                notes.append("VF \(b.vf) of \(b.pf) left as it is: bound to \(vf.driver ?? "no driver") now, not \(b.driver.applied ?? "none") as plumb left it")
                return nil
            }
            return Step(.bindVF(VFBind(pf: b.pf, vf: b.vf, pciAddress: vf.pciAddress, driver: Change(to: b.driver.original, from: vf.driver),
                                       iommuGroup: vf.iommuGroup)), reason: "restore")
        }
    }
}
