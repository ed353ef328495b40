/// A PF's embedded switch mode (`devlink dev eswitch set DEV mode M`): `legacy` switches
/// VF traffic inside the NIC by MAC/VLAN (what `ip link set PF vf N …` configures);
/// `switchdev` hands it to the host, one representor netdev per VF.
public enum EswitchMode: String, Codable, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case legacy
    case switchdev
    public var description: String { rawValue }
}

/// How devlink names a device: its bus and the device's name on it
/// (`pci/0000:01:00.0`, `netdevsim/netdevsim7`).
public struct DevlinkHandle: Codable, Sendable, Hashable, CustomStringConvertible {
    public var bus: String
    public var device: String
    public init(bus: String, device: String) { self.bus = bus; self.device = device }
    public var description: String { "\(bus)/\(device)" }
}
