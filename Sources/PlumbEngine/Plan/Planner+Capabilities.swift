import PlumbManifest
import PlumbNetlink
import PlumbSystem

/// `nics[].sriov.vfs[]` against what the PF's driver can do (`SRIOVCapabilities`): a
/// setting it cannot apply is refused with the driver and the setting named, before any
/// step — the kernel would refuse it too, but half-way through an apply.
extension Planner {
    func checkCapabilities(_ sriov: SRIOV, pf: PhysicalFunction, state: PFState, path: String) throws {
        let caps = SRIOVCapabilities(pf: pf, vfs: state.settings)
        let errors = sriov.vfs.enumerated().flatMap { j, vf in
            vf.requestedFeatures.compactMap { f in caps.refusal(f).map { error("\(path).vfs[\(j)].\(f.rawValue)", $0) } }
        }
        if !errors.isEmpty { throw PlanErrors(errors: errors) }
    }
}

extension VFConfig {
    /// The driver features these settings need, in `VFFeature` order. A value every VF
    /// starts with where the driver lacks the feature (link state auto, no minimum rate,
    /// no RSS query) needs none.
    public var requestedFeatures: [VFFeature] {
        var out: [VFFeature] = []
        if mac != nil { out.append(.mac) }
        if vlan != nil { out.append(.vlan) }
        if let q = qos, q != 0 { out.append(.qos) }
        if vlanProto == .dot1ad { out.append(.vlanProto8021ad) }
        if spoofCheck != nil { out.append(.spoofCheck) }
        if trust != nil { out.append(.trust) }
        if let l = linkState, l != .auto { out.append(.linkState) }
        if let m = minTxRate, m != 0 { out.append(.minTxRate) }
        if maxTxRate != nil { out.append(.maxTxRate) }
        if queryRSS == true { out.append(.queryRSS) }
        return out
    }
}
