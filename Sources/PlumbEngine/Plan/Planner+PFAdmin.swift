import PlumbManifest
import PlumbTypes

/// A PF whose VFs the layer makes or uses is brought up first when it is administratively
/// down — at boot it usually is. igb gives VFs made while their PF is down no link ("The VF
/// VLAN has been set, but the PF device is not up"): they take their settings, and verify
/// finds them `up, no carrier`. A PF that is up is never touched; one Plumb raised and
/// someone took down again is raised again (drift). Its undo, and destroy, take it down.
extension Planner {
    func pfAdminSteps() -> [Step] {
        var seen: Set<String> = []
        return pfReferencesNeedingLink().compactMap { ref in
            guard let pf = observed.pfs[ref]?.pf, seen.insert(pf.name).inserted,
                  let link = observed.host.link(named: pf.name), !link.up else { return nil }
            return Step(.setPFAdmin(PFAdminChange(pf: pf.name, up: Change(to: true, from: false))),
                        reason: "\(pf.name) is down: its VFs would get no link")
        }
    }

    /// The NIC references of the PFs the layer needs up: those it enables VFs on, and those
    /// whose VFs its containers use. (A missing PF is the SR-IOV steps' error to report.)
    func pfReferencesNeedingLink() -> [String] {
        let enabling = layer.managesHost ? manifest.nics.filter { ($0.sriov?.numVFs ?? 0) > 0 }.map(\.reference) : []
        return enabling + manifest.containers.flatMap { $0.interfaces.compactMap(\.vfNIC) }
    }
}
