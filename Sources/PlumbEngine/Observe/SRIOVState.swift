import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// A physical function as observed: sysfs (driver, VF counts, VF netdevs) plus
/// the PF-side settings of each VF (IFLA_VFINFO_LIST), or why it could not be found.
public struct PFState: Codable, Sendable, Equatable {
    public var pf: PhysicalFunction?
    public var error: String?
    public var settings: [VFSettings]
    /// The userspace VF drivers whose modules are loaded (nil in older fixtures: none).
    public var userspaceDrivers: [VFUserspaceDriver]?

    public init(pf: PhysicalFunction? = nil, error: String? = nil, settings: [VFSettings] = []) {
        self.pf = pf; self.error = error; self.settings = settings
    }

    public func settings(of vf: Int) -> VFSettings? { settings.first { $0.index == vf } }
}

/// What a VF looks like right after it is enabled, before any PF-side setting
/// (igb: no MAC, no VLAN, spoof check on, not trusted, no rate limit).
public let freshVFSettings = VFSettings(index: 0, mac: nil, vlan: VFVLAN(id: 0), spoofCheck: true, trust: false,
                                        maxTxRate: 0, minTxRate: 0, linkState: nil)

