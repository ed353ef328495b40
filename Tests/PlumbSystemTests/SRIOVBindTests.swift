import Foundation
import Testing
@testable import PlumbSystem

/// What a VF's binding looks like in sysfs (IOMMU group, driver_override, loaded drivers),
/// and the writes `bindVF` makes, on the fixture tree: the fixture has no PCI core, so the
/// probe binds nothing and the bind is reported as failed — after exactly the kernel's writes.
@Suite("SR-IOV: a VF's driver binding in sysfs")
struct SRIOVBindTests {
    func tree() throws -> SysfsFixture {
        let f = try SysfsFixture()
        let vf = "devices/pci0000:00/0000:00:02.0/0000:01:10.0"
        try f.tree.dir("kernel/iommu_groups/11")
        try f.tree.link("\(vf)/iommu_group", "../../../kernel/iommu_groups/11")
        try f.tree.file("\(vf)/driver_override", "(null)\n")
        try f.tree.file("bus/pci/drivers/igbvf/unbind", "")
        try f.tree.file("bus/pci/drivers_probe", "")
        try f.tree.dir("bus/pci/drivers/vfio-pci")
        return f
    }

    @Test("iommu_group and driver_override are read; \"(null)\" is no override")
    func reads() throws {
        let f = try tree()
        let vf = try #require(try f.sysfs.findPF(name: "eth1").vf(0))
        #expect(vf.iommuGroup == 11 && vf.driverOverride == nil && vf.driver == "igbvf")
        try f.tree.file("devices/pci0000:00/0000:00:02.0/0000:01:10.0/driver_override", "vfio-pci\n")
        #expect(try f.sysfs.findPF(name: "eth1").vf(0)?.driverOverride == "vfio-pci")
        #expect(try f.sysfs.findPF(name: "eth1").vf(1)?.iommuGroup == nil)
    }

    @Test("a loaded driver is a directory under bus/pci/drivers; a name cannot walk out of it")
    func loaded() throws {
        let f = try tree()
        #expect(f.sysfs.pciDriverLoaded("vfio-pci") && f.sysfs.pciDriverLoaded("igbvf"))
        #expect(!f.sysfs.pciDriverLoaded("uio_pci_generic"))
        #expect(!f.sysfs.pciDriverLoaded("../drivers/igbvf") && !f.sysfs.pciDriverLoaded(".."))
        #expect(throws: SRIOVError.driverNotLoaded("uio_pci_generic")) {
            try f.sysfs.bindVF(pci: "0000:01:10.0", to: "uio_pci_generic", keep: true)
        }
    }

    @Test("bindVF writes the override, the unbind and the probe, and says what the device is bound to after")
    func writes() throws {
        let f = try tree()
        #expect(throws: SRIOVError.bindFailed(pci: "0000:01:10.0", driver: "vfio-pci", bound: "igbvf")) {
            try f.sysfs.bindVF(pci: "0000:01:10.0", to: "vfio-pci", keep: true)
        }
        #expect(try f.tree.read("devices/pci0000:00/0000:00:02.0/0000:01:10.0/driver_override") == "vfio-pci\n")
        #expect(try f.tree.read("bus/pci/drivers/igbvf/unbind") == "0000:01:10.0")
        #expect(try f.tree.read("bus/pci/drivers_probe") == "0000:01:10.0")
        #expect(SRIOVError.bindFailed(pci: "0000:01:10.0", driver: "vfio-pci", bound: "igbvf").description
                == "PCI device 0000:01:10.0 did not bind to vfio-pci: it is bound to igbvf (see the kernel log)")
    }
}
