/// Binding a VF's PCI device to another driver through sysfs — how a VF is handed to a
/// userspace driver (vfio-pci, for DPDK) and given back to its kernel driver (igbvf).
///
/// ```
/// /sys/bus/pci/devices/0000:01:10.2/driver_override   vfio-pci   (only that driver may bind)
/// /sys/bus/pci/devices/0000:01:10.2/driver/unbind     ← 0000:01:10.2
/// /sys/bus/pci/drivers_probe                          ← 0000:01:10.2 (bind as the override says)
/// /sys/bus/pci/devices/0000:01:10.2/iommu_group → ../../../kernel/iommu_groups/11 (/dev/vfio/11)
/// ```
extension SRIOVSysfs {
    /// Binds the VF at `pci` to `driver`, which must be loaded: sets `driver_override`, unbinds
    /// the current driver, asks the PCI core to probe it again. With `keep` false the override
    /// is cleared afterwards (a driver given back: later probes choose as the kernel would);
    /// with `keep` true it stays, so nothing else rebinds the device (what driverctl does).
    /// The VF's netdev, if it had one, goes with its old driver.
    /// Equivalent to: `echo DRIVER > /sys/bus/pci/devices/PCI/driver_override;
    /// echo PCI > /sys/bus/pci/devices/PCI/driver/unbind; echo PCI > /sys/bus/pci/drivers_probe`.
    /// `driver` nil: no override at all, the driver the kernel picks (none when no driver matches).
    public func bindVF(pci: String, to driver: String?, keep: Bool) throws {
        let address = try Self.normalizedPCI(pci)
        let dev = "\(root)/bus/pci/devices/\(address)"
        guard Files.exists(dev) else { throw SRIOVError.noPCIDevice(address) }
        if let driver, !pciDriverLoaded(driver) { throw SRIOVError.driverNotLoaded(driver) }
        try Self.writeAttribute("\(dev)/driver_override", (driver ?? "") + "\n")
        if Files.exists("\(dev)/driver") { try Self.writeAttribute("\(dev)/driver/unbind", address) }
        try Self.writeAttribute("\(root)/bus/pci/drivers_probe", address)
        let bound = try? linkBasename("\(dev)/driver")
        if !keep, driver != nil { try Self.writeAttribute("\(dev)/driver_override", "\n") }
        if let driver, bound != driver { throw SRIOVError.bindFailed(pci: address, driver: driver, bound: bound) }
    }

    /// Whether the PCI driver `name` is registered (its module loaded).
    /// Equivalent to: `test -d /sys/bus/pci/drivers/NAME`.
    public func pciDriverLoaded(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("/") && name != "." && name != ".." && Files.exists("\(root)/bus/pci/drivers/\(name)")
    }

    /// `driver_override` as the kernel prints it: "(null)" or empty when unset.
    static func override(_ text: String?) -> String? {
        guard let t = text?.trimmingSpace(), !t.isEmpty, t != "(null)" else { return nil }
        return t
    }
}
