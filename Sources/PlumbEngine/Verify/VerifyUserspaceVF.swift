import PlumbManifest
import PlumbSystem
import PlumbTypes

extension Verifier {
    /// For a `vf: {…, driver: vfio-pci}` interface: the VF is bound to that driver and its
    /// group's device node exists (`readlink /sys/bus/pci/devices/PCI/driver; ls /dev/vfio/N`).
    func userspaceVFChecks(_ iface: Interface, nic: String, index: Int, driver: VFUserspaceDriver) throws -> [Check] {
        guard let decl = manifest.nics.first(where: { $0.reference == nic }),
              let pf = try? kernel.sriov.findPF(decl.selector.pfSelector), let vf = pf.vf(index) else {
            return [Check("vf-driver", iface.name, .fail, expected: "VF \(index) of \(nic)", observed: "not found", evidence: [.procfs])]
        }
        let bound = Check.expect("vf-driver", iface.name, vf.driver == driver.rawValue, expected: "\(vf.pciAddress) bound to \(driver.rawValue)",
                                 observed: "\(vf.pciAddress) bound to \(vf.driver ?? "no driver")", evidence: [.procfs])
        guard let group = vf.iommuGroup else {
            return [bound, Check("vfio-group", iface.name, .fail, expected: "/dev/vfio/N", observed: "no IOMMU group", evidence: [.procfs])]
        }
        let present = kernel.sriov.vfioGroupPresent(group)
        return [bound, .expect("vfio-group", iface.name, present, expected: "/dev/vfio/\(group)",
                               observed: present ? "/dev/vfio/\(group)" : "/dev/vfio/\(group) absent", evidence: [.procfs])]
    }
}
