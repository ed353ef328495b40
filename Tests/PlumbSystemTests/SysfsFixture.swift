import Foundation
@testable import PlumbSystem

/// A temporary tree shaped like /sys for one emulated 82576 PF and its neighbours:
///
/// * eth1: igb PF 0000:01:00.0, sriov_totalvfs 7, sriov_numvfs 2,
///   virtfn0 → 0000:01:10.0 (igbvf, netdev eth2), virtfn1 → 0000:01:10.2 (igbvf, moved
///   away: no netdev here);
/// * eth0: virtio_net on virtio0 under PCI 0000:00:03.0, no SR-IOV files;
/// * br0: a bridge (no device link) carrying eth1's MAC, as bridges copy a port's MAC.
///
/// Links are relative, exactly as the kernel makes them, so lookups walk them for real.
/// The tree is removed when the fixture goes away.
final class SysfsFixture {
    let tree: SysfsTree
    var root: String { tree.root }
    var sysfs: SRIOVSysfs { SRIOVSysfs(sysfsRoot: root) }

    init() throws {
        tree = SysfsTree(root: NSTemporaryDirectory() + "plumb-sysfs-" + String(UInt32.random(in: 0...UInt32.max), radix: 16))
        try tree.build()
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }
}

/// Writes the fixture's files; Sendable, so another thread can make VFs "appear".
struct SysfsTree: Sendable {
    let root: String
    static let pfMAC = "52:54:00:12:76:01"
    static let pfDir = "devices/pci0000:00/0000:00:02.0/0000:01:00.0"

    func build() throws {
        try dir("bus/pci/drivers/igb"); try dir("bus/pci/drivers/igbvf"); try dir("bus/virtio/drivers/virtio_net")
        try makePF()
        try addVF(index: 0, pci: "0000:01:10.0", netdev: "eth2", mac: "66:f1:0b:3c:5e:01")
        try addVF(index: 1, pci: "0000:01:10.2", netdev: nil)
        try makeVirtio()
        try dir("devices/virtual/net/br0")
        try file("devices/virtual/net/br0/address", Self.pfMAC + "\n")
        try link("class/net/br0", "../../devices/virtual/net/br0")
    }

    private func makePF() throws {
        let pf = Self.pfDir
        try file("\(pf)/sriov_totalvfs", "7\n")
        try file("\(pf)/sriov_numvfs", "2\n")
        try link("\(pf)/driver", "../../../../bus/pci/drivers/igb")
        try link("bus/pci/devices/0000:01:00.0", "../../../\(pf)")
        try netdev("eth1", in: pf, device: "0000:01:00.0", mac: Self.pfMAC)
    }

    private func makeVirtio() throws {
        let dev = "devices/pci0000:00/0000:00:03.0/virtio0"
        try link("\(dev)/driver", "../../../../bus/virtio/drivers/virtio_net")
        try link("bus/pci/devices/0000:00:03.0", "../../../devices/pci0000:00/0000:00:03.0")
        try netdev("eth0", in: dev, device: "virtio0", mac: "52:54:00:12:76:02")
    }

    /// Two NUMA nodes — node 0 with CPUs 0-1, node 1 with CPUs 2-3, all four online — and
    /// eth1's PCI device on node 1 (`numa_node`), with its `local_cpulist` unless told not
    /// to (some firmware and older kernels give only the node).
    func makeNUMA(localCPUList: Bool = true, online: String = "0-3") throws {
        try file("devices/system/node/node0/cpulist", "0-1\n")
        try file("devices/system/node/node1/cpulist", "2-3\n")
        try file("devices/system/cpu/online", online + "\n")
        try file("\(Self.pfDir)/numa_node", "1\n")
        if localCPUList { try file("\(Self.pfDir)/local_cpulist", "2-3\n") }
        // virtio's device says nothing of its node: one-node machines and most VMs show -1.
        try file("devices/pci0000:00/0000:00:03.0/virtio0/numa_node", "-1\n")
    }

    /// A VF PCI device with its `physfn` link and the PF's `virtfnN` link; its netdev
    /// when `netdev` is given (nil: moved to another namespace).
    func addVF(index: Int, pci: String, netdev name: String?, mac: String = "00:00:00:00:00:00",
               driver: String? = "igbvf") throws {
        let vf = "devices/pci0000:00/0000:00:02.0/\(pci)"
        try dir("\(vf)/net")
        try link("\(vf)/physfn", "../0000:01:00.0")
        if let driver { try link("\(vf)/driver", "../../../../bus/pci/drivers/\(driver)") }
        try link("bus/pci/devices/\(pci)", "../../../\(vf)")
        if let name { try netdev(name, in: vf, device: pci, mac: mac) }
        try link("\(Self.pfDir)/virtfn\(index)", "../\(pci)")
    }

    /// What the kernel does on `echo 0 > sriov_numvfs`: VF devices, links and netdevs go.
    func removeVFs() throws {
        let fm = FileManager.default
        for e in try fm.contentsOfDirectory(atPath: "\(root)/\(Self.pfDir)") where e.hasPrefix("virtfn") {
            let pci = try fm.destinationOfSymbolicLink(atPath: "\(root)/\(Self.pfDir)/\(e)").split(separator: "/").last!
            let vf = "\(root)/devices/pci0000:00/0000:00:02.0/\(pci)"
            for n in (try? fm.contentsOfDirectory(atPath: "\(vf)/net")) ?? [] { try fm.removeItem(atPath: "\(root)/class/net/\(n)") }
            try fm.removeItem(atPath: vf)
            try fm.removeItem(atPath: "\(root)/bus/pci/devices/\(pci)")
            try fm.removeItem(atPath: "\(root)/\(Self.pfDir)/\(e)")
        }
    }

    /// `devices/…/DEV/net/NAME` with `address` and `device`, plus `class/net/NAME`.
    func netdev(_ name: String, in device: String, device leaf: String, mac: String) throws {
        try file("\(device)/net/\(name)/address", mac + "\n")
        try link("\(device)/net/\(name)/device", "../../../\(leaf)")
        try link("class/net/\(name)", "../../\(device)/net/\(name)")
    }

    func dir(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: "\(root)/\(path)", withIntermediateDirectories: true)
    }

    func file(_ path: String, _ text: String) throws {
        try dir((path as NSString).deletingLastPathComponent)
        try text.write(toFile: "\(root)/\(path)", atomically: false, encoding: .utf8)
    }

    /// Replaces an existing link, so VFs can be made again.
    func link(_ path: String, _ target: String) throws {
        try dir((path as NSString).deletingLastPathComponent)
        try? FileManager.default.removeItem(atPath: "\(root)/\(path)")
        try FileManager.default.createSymbolicLink(atPath: "\(root)/\(path)", withDestinationPath: target)
    }

    func read(_ path: String) throws -> String { try String(contentsOfFile: "\(root)/\(path)", encoding: .utf8) }
}
