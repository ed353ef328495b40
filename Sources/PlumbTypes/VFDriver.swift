/// A driver a VF can be bound to so that a userspace program (DPDK) drives it instead of a
/// kernel netdev: `vf: {nic, index, driver: vfio-pci}`.
public enum VFUserspaceDriver: String, Sendable, Hashable, Codable, CaseIterable {
    /// vfio-pci: the device behind /dev/vfio/GROUP (its IOMMU group).
    case vfioPCI = "vfio-pci"
}
