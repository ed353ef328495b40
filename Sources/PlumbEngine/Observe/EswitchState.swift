import PlumbTypes

/// A PF's embedded switch as observed: the devlink handle sysfs names, the mode devlink
/// reports, and the VF representors (switchdev mode only). `mode` nil: the driver has no
/// eswitch, `unsupported` says why ("igb registers no devlink device", EOPNOTSUPP, …).
public struct EswitchState: Codable, Sendable, Equatable {
    public var handle: DevlinkHandle?
    public var mode: EswitchMode?
    public var unsupported: String?
    /// Representor netdevs (phys_port_name `pfNvfM`), sorted.
    public var representors: [String]
    public init(handle: DevlinkHandle? = nil, mode: EswitchMode? = nil, unsupported: String? = nil, representors: [String] = []) {
        self.handle = handle; self.mode = mode; self.unsupported = unsupported; self.representors = representors
    }
}
