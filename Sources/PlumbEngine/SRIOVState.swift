import PlumbNetlink
import PlumbSystem

/// A physical function as observed: sysfs (driver, VF counts, VF netdevs) plus
/// the PF-side settings of each VF (IFLA_VFINFO_LIST), or why it could not be found.
public struct PFState: Codable, Sendable, Equatable {
    public var pf: PhysicalFunction?
    public var error: String?
    public var settings: [VFSettings]
    /// Current text of the modprobe.d file `persist` writes ("" when absent).
    public var modprobeText: String

    public init(pf: PhysicalFunction? = nil, error: String? = nil, settings: [VFSettings] = [], modprobeText: String = "") {
        self.pf = pf; self.error = error; self.settings = settings; self.modprobeText = modprobeText
    }

    public func settings(of vf: Int) -> VFSettings? { settings.first { $0.index == vf } }
}

/// What a VF looks like right after it is enabled, before any PF-side setting
/// (igb: no MAC, no VLAN, spoof check on, not trusted, no rate limit).
public let freshVFSettings = VFSettings(index: 0, mac: nil, vlan: VFVLAN(id: 0), spoofCheck: true, trust: false,
                                        maxTxRate: 0, minTxRate: 0, linkState: nil)

/// A VF Plumb moved into a container: destroy moves it back under its old name.
public struct MovedVF: Codable, Sendable, Hashable {
    public var pf: String
    public var index: Int
    public var namespace: NamespaceKey
    public var name: String       // its name inside the container
    public var hostName: String   // its name before the move
    public init(pf: String, index: Int, namespace: NamespaceKey, name: String, hostName: String) {
        self.pf = pf; self.index = index; self.namespace = namespace; self.name = name; self.hostName = hostName
    }
}
