import PlumbNetlink
import PlumbSystem

extension SRIOVCapabilities {
    /// The capabilities of the PF `pf` as the kernel shows them now: its sysfs (through the
    /// seam) and, when it has VFs, the IFLA_VF_* attributes of one RTM_GETLINK.
    /// Equivalent to: `ls -l /sys/class/net/PF/device/; ip link show dev PF`.
    public static func probe(_ pf: PhysicalFunction, kernel: any Kernel) throws -> SRIOVCapabilities {
        var vfs: [VFSettings] = []
        if (pf.numVFs ?? 0) > 0, let link = try kernel.links(in: .host).link(name: pf.name) {
            vfs = try kernel.links(in: .host).vfSettings(pfIndex: link.index, pfName: pf.name)
        }
        return SRIOVCapabilities(pf: pf, vfs: vfs)
    }

    /// The capabilities of the netdev `name`; nil when it has no SR-IOV (no sriov_totalvfs).
    public static func probe(_ name: String, kernel: any Kernel) throws -> SRIOVCapabilities? {
        guard let pf = try? kernel.sriov.findPF(.name(name)) else { return nil }
        return try probe(pf, kernel: kernel)
    }
}
