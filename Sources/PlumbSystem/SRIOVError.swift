/// Why a PF or VF could not be found or changed through sysfs. Each message names
/// the interface (or PCI address) and what is wrong, so a user can act on it.
public enum SRIOVError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidName(String)
    case invalidPCIAddress(String)
    case invalidMAC(String)
    case noInterface(String)
    /// A netdev without `device`: a bridge, veth, VLAN… (virtual, so no SR-IOV).
    case noDevice(String)
    case noSRIOV(name: String, driver: String?)
    /// The name or PCI address is a VF (it has `physfn`), not a PF.
    case isVirtualFunction(name: String, physfn: String)
    case notVirtualFunction(String)
    case noPCIDevice(String)
    case pciHasNoInterface(pci: String, driver: String?)
    case noMAC(String)
    case ambiguousMAC(String, [String])
    case badAttribute(path: String, text: String)
    case tooManyVFs(name: String, requested: Int, total: Int)
    /// The kernel refused the sriov_numvfs write.
    case numVFsRefused(name: String, driver: String?, requested: Int, current: Int?, errno: Errno)
    /// A driver a VF was to be bound to is not registered (its module is not loaded).
    case driverNotLoaded(String)
    /// After the probe, the VF is bound to another driver (or none).
    case bindFailed(pci: String, driver: String, bound: String?)
    /// Not all VF netdevs showed up in time: how many did, and what the others lack.
    case vfNetdevsTimeout(name: String, expected: Int, appeared: Int, present: Int, waiting: [String], seconds: Double)

    public var description: String {
        switch self {
        case .invalidName(let n): return "\"\(n)\" is not a network interface name"
        case .invalidPCIAddress(let p): return "\"\(p)\" is not a PCI address (expected 0000:01:00.0)"
        case .invalidMAC(let m): return "\"\(m)\" is not a MAC address (expected aa:bb:cc:dd:ee:ff)"
        case .noInterface(let n): return "no network interface \(n)"
        case .noDevice(let n): return "\(n) is a virtual interface (no device link): it has no SR-IOV"
        case .noSRIOV(let n, let d):
            return "\(n) (driver \(d ?? "none")) has no SR-IOV: device/sriov_totalvfs is missing"
                + (d == "netdevsim" ? " (netdevsim keeps its VF limit in debugfs: mount -t debugfs none /sys/kernel/debug)" : "")
        case .isVirtualFunction(let n, let pf):
            return "\(n) is a virtual function of PCI device \(pf), not a physical function"
        case .notVirtualFunction(let p): return "PCI device \(p) is not a virtual function (no physfn link)"
        case .noPCIDevice(let p): return "no PCI device \(p)"
        case .pciHasNoInterface(let p, let d):
            return "PCI device \(p) (driver \(d ?? "none")) has no network interface here"
                + " (no driver bound, or its netdev is in another namespace)"
        case .noMAC(let m): return "no physical network interface has MAC \(m)"
        case .ambiguousMAC(let m, let names): return "MAC \(m) matches several interfaces: \(names.joined(separator: ", "))"
        case .badAttribute(let p, let t): return "\(p): expected a number, found \"\(t)\""
        case .tooManyVFs(let n, let r, let t): return "\(n): \(r) VFs requested but sriov_totalvfs is \(t)"
        case .numVFsRefused(let n, let d, let r, let c, let e):
            return "\(n): writing \(r) to device/sriov_numvfs: \(e.message) (\(e.name))" + numVFsHint(d, r, c, e)
        case .driverNotLoaded(let d): return "PCI driver \(d) is not loaded (/sys/bus/pci/drivers/\(d) is missing: modprobe \(d))"
        case .bindFailed(let p, let d, let b):
            return "PCI device \(p) did not bind to \(d): it is bound to \(b ?? "no driver") (see the kernel log)"
        case .vfNetdevsTimeout(let n, let want, let got, let present, let waiting, let s):
            return "\(n): \(got) of \(want) VF netdevs appeared within \(s) s (\(present) VFs present"
                + (waiting.isEmpty ? "" : "; still without a netdev: \(waiting.joined(separator: ", "))") + ")"
        }
    }

    private func numVFsHint(_ driver: String?, _ requested: Int, _ current: Int?, _ e: Errno) -> String {
        switch e {
        case .busy:
            let now = current.map { "\($0) VFs are enabled" } ?? "VFs are enabled"
            return " — \(now); \(driver ?? "the driver") needs 0 before a different non-zero count"
        case .range: return " — beyond sriov_totalvfs"
        case .noEntry: return " — the device has no SR-IOV"
        default: return ""
        }
    }
}
