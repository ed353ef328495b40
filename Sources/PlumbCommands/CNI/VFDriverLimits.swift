import PlumbEngine
import PlumbManifest
import PlumbSystem
import PlumbTypes

/// VF settings a PF's driver cannot apply, known before anything changes: ADD refuses them
/// with the field and the driver named (CNI code 2, "unsupported field"), before IPAM is asked
/// and before the VF is touched, so a refused ADD leaves nothing. What the driver can do is
/// the planner's own answer (`SRIOVCapabilities`: the driver facts merged with what the
/// kernel reports), so `plumb apply` and the plugin refuse the same things.
enum VFDriverLimits {
    /// The configuration's field for each setting (sriov-cni's spelling).
    static func field(_ f: VFFeature) -> String {
        switch f {
        case .mac: return "mac"
        case .vlan: return "vlan"
        case .qos: return "vlanQoS"
        case .vlanProto8021ad: return "vlanProto"
        case .spoofCheck: return "spoofchk"
        case .trust: return "trust"
        case .linkState: return "link_state"
        case .minTxRate: return "min_tx_rate"
        case .maxTxRate: return "max_tx_rate"
        case .queryRSS: return "queryRSS"
        }
    }

    static func value(_ f: VFFeature, _ vf: CNIConfig.VF) -> String {
        switch f {
        case .mac: return vf.mac?.description ?? ""
        case .vlan: return vf.vlan.map(String.init) ?? ""
        case .qos: return vf.qos.map(String.init) ?? ""
        case .vlanProto8021ad: return vf.vlanProto?.rawValue ?? ""
        case .spoofCheck: return vf.spoofCheck.map { $0 ? "on" : "off" } ?? ""
        case .trust: return vf.trust.map { $0 ? "on" : "off" } ?? ""
        case .linkState: return vf.linkState?.rawValue ?? ""
        case .minTxRate: return vf.minTxRate.map(String.init) ?? ""
        case .maxTxRate: return vf.maxTxRate.map(String.init) ?? ""
        case .queryRSS: return ""
        }
    }

    /// The first setting `caps` refuses: its field, value and why.
    static func refusal(_ vf: CNIConfig.VF, _ caps: SRIOVCapabilities) -> (field: String, value: String, why: String)? {
        for f in vf.settings(index: 0).requestedFeatures {
            if let why = caps.refusal(f) { return (field(f), value(f, vf), why) }
        }
        return nil
    }

    static func check(_ vf: CNIConfig.VF, pf: PhysicalFunction, kernel: any Kernel, version: String) throws {
        guard let r = refusal(vf, try SRIOVCapabilities.probe(pf, kernel: kernel)) else { return }
        throw CNIError(CNIError.unsupportedField, "\(r.field): \(r.value): \(r.why) (VF \(vf.deviceID) of \(pf.name))", version: version)
    }
}

extension CNIConfig.VF {
    /// These settings as the manifest's VF entry `index` (what the attachment's layer declares).
    func settings(index: Int, mac override: MACAddress? = nil) -> VFConfig {
        VFConfig(index: index, vlan: vlan, qos: qos, vlanProto: vlanProto, mac: override ?? mac,
                 spoofCheck: spoofCheck, trust: trust, maxTxRate: maxTxRate, minTxRate: minTxRate, linkState: linkState)
    }
}
