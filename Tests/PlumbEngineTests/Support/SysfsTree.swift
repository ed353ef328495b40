import Foundation
import PlumbEngine
import PlumbNetlink
import PlumbSystem

/// A temporary tree shaped like /sys, read by the real sysfs code (`SRIOVSysfs(sysfsRoot:)`):
/// eth1, a PF 0000:01:00.0 (igb unless told: `driver`, its VFs bound to `vfDriver`) with
/// `totalVFs` VFs possible and `numVFs` enabled (VF n: 0000:01:10.n, netdev eth(10+n)), its
/// `sriov_drivers_autoprobe` when given; eth0, virtio_net, no SR-IOV.
final class SysfsTree {
    let root = NSTemporaryDirectory() + "plumb-eng-sysfs-" + UUID().uuidString

    init(numVFs: Int, driver: String = "igb", vfDriver: String = "igbvf", totalVFs: Int = 7, autoprobe: Bool? = nil) throws {
        let pf = "devices/pci0000:00/0000:00:02.0/0000:01:00.0"
        try file("\(pf)/sriov_totalvfs", "\(totalVFs)\n"); try file("\(pf)/sriov_numvfs", "\(numVFs)\n")
        if let autoprobe { try file("\(pf)/sriov_drivers_autoprobe", autoprobe ? "1\n" : "0\n") }
        try dir("bus/pci/drivers/\(driver)"); try dir("bus/pci/drivers/\(vfDriver)"); try dir("bus/virtio/drivers/virtio_net")
        try link("\(pf)/driver", "../../../../bus/pci/drivers/\(driver)")
        try netdev("eth1", dev: pf, mac: "52:54:00:12:76:01")
        for i in 0..<numVFs {
            let vf = "devices/pci0000:00/0000:00:02.0/0000:01:10.\(i)"
            try link("\(vf)/physfn", "../0000:01:00.0"); try link("\(vf)/driver", "../../../../bus/pci/drivers/\(vfDriver)")
            try link("\(pf)/virtfn\(i)", "../0000:01:10.\(i)")
            try netdev("eth\(10 + i)", dev: vf, mac: "66:00:00:00:00:0\(i)")
        }
        let virtio = "devices/pci0000:00/0000:00:03.0/virtio0"
        try link("\(virtio)/driver", "../../../../bus/virtio/drivers/virtio_net")
        try netdev("eth0", dev: virtio, mac: "52:54:00:12:76:02")
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func dir(_ p: String) throws { try FileManager.default.createDirectory(atPath: "\(root)/\(p)", withIntermediateDirectories: true) }
    func file(_ p: String, _ text: String) throws {
        try dir((p as NSString).deletingLastPathComponent); try text.write(toFile: "\(root)/\(p)", atomically: false, encoding: .utf8)
    }
    func link(_ p: String, _ target: String) throws {
        try dir((p as NSString).deletingLastPathComponent)
        try FileManager.default.createSymbolicLink(atPath: "\(root)/\(p)", withDestinationPath: target)
    }
    func netdev(_ name: String, dev: String, mac: String) throws {
        try file("\(dev)/net/\(name)/address", mac + "\n")
        // As the kernel makes it: up to the device's parent and back down by its name.
        try link("\(dev)/net/\(name)/device", "../../../" + (dev.split(separator: "/").last.map(String.init) ?? ""))
        try link("class/net/\(name)", "../../" + dev + "/net/\(name)")
    }

    /// What the observer would record for the PF the manifest calls `ref`.
    func observed(_ ref: String = "eth1", settings: [VFSettings] = []) -> ObservedState {
        var o = ObservedState()
        do { o.pfs[ref] = PFState(pf: try SRIOVSysfs(sysfsRoot: root).findPF(name: ref), settings: settings) } catch {
            o.pfs[ref] = PFState(error: "\(error)")
        }
        return o
    }
}
