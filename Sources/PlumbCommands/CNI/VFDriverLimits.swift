import PlumbSystem

/// VF settings a PF's driver cannot apply, known before anything changes: ADD refuses them
/// with the field and the driver named (CNI code 2, "unsupported field"), before IPAM is asked
/// and before the VF is touched, so a refused ADD leaves nothing. The kernel would refuse them
/// too, but mid-way and with an errno that names neither.
enum VFDriverLimits {
    /// igb (82576, I350): no `ndo_set_vf_link_state`; `ndo_set_vf_rate` refuses a minimum;
    /// `ndo_set_vf_vlan` takes only 802.1Q.
    static func refusal(_ vf: CNIConfig.VF, driver: String?) -> (field: String, value: String, why: String)? {
        let d = driver ?? "no driver"
        if let min = vf.minTxRate, min != 0 {
            return ("min_tx_rate", "\(min)", d == "igb" ? "driver igb has no minimum VF rate"
                    : "Plumb does not set a VF's minimum rate (driver \(d)); 0 or no min_tx_rate")
        }
        guard d == "igb" else { return nil }
        if let s = vf.linkState { return ("link_state", s.rawValue, "driver igb cannot set a VF's link state") }
        if vf.vlanProto == .dot1ad { return ("vlanProto", "802.1ad", "driver igb takes only 802.1Q VLANs") }
        return nil
    }

    static func check(_ vf: CNIConfig.VF, pf: PhysicalFunction, version: String) throws {
        guard let r = refusal(vf, driver: pf.driver) else { return }
        throw CNIError(CNIError.unsupportedField, "\(r.field): \(r.value): \(r.why) (VF \(vf.deviceID) of \(pf.name))", version: version)
    }
}
