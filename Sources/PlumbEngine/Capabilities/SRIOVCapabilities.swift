import PlumbTypes
import PlumbNetlink
import PlumbSystem

/// What a PF can do with its VFs: the driver's facts (`DriverFactTable`) merged with what
/// the kernel shows — sysfs (`device/driver`, `sriov_totalvfs`, `sriov_drivers_autoprobe`,
/// the VFs' bound driver) and the IFLA_VF_* attributes of the PF's IFLA_VFINFO_LIST.
///
/// The kernel shows a setting's support only where a driver's get_vf_config leaves a value
/// unset: IFLA_VF_SPOOFCHK, _TRUST and _RSS_QUERY_EN arrive as -1 then (read as "not
/// reported"). Link state, rates and VLAN protocol are always sent (as defaults), so for them
/// the facts decide. Merge: a setting the facts allow but the kernel does not report is
/// refused (the device lacks it: ixgbe on an 82598 has no RSS query); a driver without facts
/// gets what the kernel reports and nothing refused beyond it.
public struct SRIOVCapabilities: Sendable, Equatable, Codable {
    public enum Support: String, Sendable, Codable { case yes, no, unknown }
    /// Where the answer comes from.
    public enum Source: String, Sendable, Codable {
        case driverFacts = "driver facts"
        case kernel
        case both = "driver facts + kernel"
        case none
    }

    public struct Setting: Sendable, Equatable, Codable {
        public var feature: VFFeature
        public var support: Support
        public var source: Source
        /// Why not, or what the kernel showed.
        public var detail: String?
    }

    public var pf: String
    public var pciAddress: String
    public var driver: String?
    /// True when the driver is in `DriverFactTable`.
    public var knownDriver: Bool
    public var totalVFs: Int?
    public var numVFs: Int?
    public var driversAutoprobe: Bool?
    /// The driver the VFs get: bound now (sysfs), else the facts'.
    public var vfDriver: String?
    public var numVFsChange: NumVFsRule?
    /// nil: unknown (no facts); empty: no devlink eswitch.
    public var eswitchModes: [EswitchMode]?
    public var settings: [Setting]

    /// Merges the facts of `pf.driver` with the VF settings the kernel reported (`vfs`: one
    /// entry per VF, empty when there are none yet — then only the facts speak).
    public init(pf: PhysicalFunction, vfs: [VFSettings], facts: DriverFacts? = nil) {
        let facts = facts ?? DriverFactTable.facts(pf.driver)
        self.pf = pf.name; pciAddress = pf.pciAddress; driver = pf.driver; knownDriver = facts != nil
        totalVFs = pf.totalVFs; numVFs = pf.numVFs; driversAutoprobe = pf.driversAutoprobe
        vfDriver = pf.vfs.lazy.compactMap(\.driver).first ?? facts?.vfDriver
        numVFsChange = facts?.numVFs
        eswitchModes = facts?.eswitchModes
        settings = VFFeature.allCases.map { Self.merge($0, facts: facts, reported: Self.reported($0, vfs), driver: pf.driver) }
    }

    /// For the three settings the kernel can show: reported by any VF (true), by none
    /// (false); nil when there is no VF to read or the kernel always sends the setting.
    static func reported(_ f: VFFeature, _ vfs: [VFSettings]) -> Bool? {
        guard !vfs.isEmpty else { return nil }
        switch f {
        case .spoofCheck: return vfs.contains { $0.spoofCheck != nil }
        case .trust: return vfs.contains { $0.trust != nil }
        case .queryRSS: return vfs.contains { $0.queryRSS != nil }
        case .mac, .vlan, .qos, .vlanProto8021ad, .linkState, .minTxRate, .maxTxRate: return nil
        }
    }

    static func merge(_ f: VFFeature, facts: DriverFacts?, reported: Bool?, driver: String?) -> Setting {
        let notShown = "the kernel reports none for the VFs of this PF (IFLA_VF_\(attribute(f)) is -1)"
        guard let facts else {
            switch reported {
            case true?: return Setting(feature: f, support: .yes, source: .kernel, detail: "reported by the kernel")
            case false?: return Setting(feature: f, support: .no, source: .kernel, detail: notShown)
            case nil: return Setting(feature: f, support: .unknown, source: .none,
                                     detail: "no facts for driver \(driver ?? "none"): the kernel decides at apply")
            }
        }
        if let why = facts.refusal(f) { return Setting(feature: f, support: .no, source: .driverFacts, detail: why) }
        if reported == false { return Setting(feature: f, support: .no, source: .both, detail: notShown) }
        return Setting(feature: f, support: .yes, source: reported == true ? .both : .driverFacts, detail: nil)
    }

    static func attribute(_ f: VFFeature) -> String {
        switch f {
        case .spoofCheck: return "SPOOFCHK"
        case .trust: return "TRUST"
        case .queryRSS: return "RSS_QUERY_EN"
        case .mac: return "MAC"
        case .vlan, .qos, .vlanProto8021ad: return "VLAN_LIST"
        case .linkState: return "LINK_STATE"
        case .minTxRate, .maxTxRate: return "RATE"
        }
    }

    public func setting(_ f: VFFeature) -> Setting { settings.first { $0.feature == f }! }

    /// Why `f` is refused on this PF — "driver igb of eth1 cannot set a VF's link state
    /// (igb has no ndo_set_vf_link_state)" — or nil when it is allowed or unknown.
    public func refusal(_ f: VFFeature) -> String? {
        let s = setting(f)
        guard s.support == .no else { return nil }
        return "driver \(driver ?? "none") of \(pf) cannot set \(f.label)" + (s.detail.map { " (\($0))" } ?? "")
    }

    /// "eth1 (0000:01:00.0, driver igb)" lines, for `plumb show --nic`.
    public var text: [String] {
        var lines = ["sriov \(pf) (\(pciAddress), driver \(driver ?? "none")\(knownDriver ? "" : ", no driver facts")):"]
        lines.append("  VFs \(numVFs.map(String.init) ?? "?") of \(totalVFs.map(String.init) ?? "?")"
                     + ", VF driver \(vfDriver ?? "none")"
                     + ", drivers autoprobe \(driversAutoprobe.map { $0 ? "on" : "off" } ?? "?")")
        lines.append("  count change: " + (numVFsChange.map { $0 == .throughZero ? "through 0 (destroys live VFs)" : "direct" } ?? "unknown"))
        lines.append("  eswitch modes: " + (eswitchModes.map { $0.isEmpty ? "none (no devlink eswitch)" : $0.map(\.rawValue).joined(separator: ", ") } ?? "unknown"))
        for s in settings {
            lines.append("  \(s.feature == .vlanProto8021ad ? "vlanProto 802.1ad" : s.feature.rawValue): \(s.support.rawValue)"
                         + " [\(s.source.rawValue)]" + (s.detail.map { " — \($0)" } ?? ""))
        }
        return lines
    }
}
