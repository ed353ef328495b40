import Dispatch
import Foundation
import Testing
@testable import PlumbSystem

/// SR-IOV discovery and the sriov_numvfs write against a fixture tree shaped like
/// /sys (SysfsFixture): no root, no hardware, nothing outside a temp directory.
@Suite("SR-IOV sysfs discovery")
struct SRIOVDiscoveryTests {
    let eth1 = PhysicalFunction(
        name: "eth1", pciAddress: "0000:01:00.0", driver: "igb", mac: "52:54:00:12:76:01", totalVFs: 7, numVFs: 2,
        vfs: [VirtualFunction(index: 0, pciAddress: "0000:01:10.0", netdevs: ["eth2"], driver: "igbvf"),
              VirtualFunction(index: 1, pciAddress: "0000:01:10.2", netdevs: [], driver: "igbvf")])

    @Test("by name: PCI address, driver, MAC, VF counts and each VF's address and netdev")
    func byName() throws {
        let f = try SysfsFixture()
        let pf = try f.sysfs.findPF(name: "eth1")
        #expect(pf == eth1)
        #expect(pf.vf(0)?.netdev == "eth2")
        #expect(pf.vf(1)?.netdev == nil)   // moved into another namespace
        #expect(pf.label == "eth1 (0000:01:00.0, driver igb)")
    }

    @Test("by PCI address, in full, in lspci's short form and in upper case")
    func byPCI() throws {
        let f = try SysfsFixture()
        for address in ["0000:01:00.0", "01:00.0", "0000:01:00.0".uppercased()] {
            #expect(try f.sysfs.findPF(pci: address) == eth1)
        }
    }

    @Test("by MAC: the PF, not the bridge that copied its MAC; a VF's MAC is no PF")
    func byMAC() throws {
        let f = try SysfsFixture()
        #expect(try f.sysfs.findPF(mac: "52:54:00:12:76:01") == eth1)
        #expect(try f.sysfs.findPF(mac: "52:54:00:12:76:01".uppercased()) == eth1)
        #expect(throws: SRIOVError.noMAC("66:f1:0b:3c:5e:01")) { try f.sysfs.findPF(mac: "66:f1:0b:3c:5e:01") }
    }

    @Test("a VF by its PCI address (CNI deviceID) gives its PF and index")
    func vfByPCI() throws {
        let f = try SysfsFixture()
        let (pf, vf) = try f.sysfs.findVF(pci: "0000:01:10.2")
        #expect(pf.name == "eth1")
        #expect(vf == VirtualFunction(index: 1, pciAddress: "0000:01:10.2", netdevs: [], driver: "igbvf"))
        #expect(throws: SRIOVError.notVirtualFunction("0000:01:00.0")) { try f.sysfs.findVF(pci: "0000:01:00.0") }
    }

    @Test("a device without SR-IOV reads with nil VF counts; as a PF it is refused")
    func noSRIOV() throws {
        let f = try SysfsFixture()
        let eth0 = try f.sysfs.device(name: "eth0")
        #expect(eth0 == PhysicalFunction(name: "eth0", pciAddress: "virtio0", driver: "virtio_net",
                                         mac: "52:54:00:12:76:02", totalVFs: nil, numVFs: nil))
        #expect(!eth0.hasSRIOV)
        let e = #expect(throws: SRIOVError.self) { try f.sysfs.findPF(name: "eth0") }
        #expect(e?.description == "eth0 (driver virtio_net) has no SR-IOV: device/sriov_totalvfs is missing")
    }

    @Test("error messages name the interface and what is wrong", arguments: [
        ("name", "eth9", "no network interface eth9"),
        ("name", "br0", "br0 is a virtual interface (no device link): it has no SR-IOV"),
        ("name", "eth2", "eth2 is a virtual function of PCI device 0000:01:00.0, not a physical function"),
        ("name", "../../etc", "\"../../etc\" is not a network interface name"),
        ("pci", "0000:01:10.0", "0000:01:10.0 is a virtual function of PCI device 0000:01:00.0, not a physical function"),
        ("pci", "0000:05:00.0", "no PCI device 0000:05:00.0"),
        ("pci", "0000:00:03.0", "PCI device 0000:00:03.0 (driver none) has no network interface here (no driver bound, or its netdev is in another namespace)"),
        ("pci", "../../../etc", "\"../../../etc\" is not a PCI address (expected 0000:01:00.0)"),
        ("mac", "02:00:00:00:00:99", "no physical network interface has MAC 02:00:00:00:00:99"),
        ("mac", "02:00:00:00:00", "\"02:00:00:00:00\" is not a MAC address (expected aa:bb:cc:dd:ee:ff)"),
    ])
    func errors(by: String, value: String, message: String) throws {
        let f = try SysfsFixture()
        let s = f.sysfs
        let e = #expect(throws: SRIOVError.self) {
            switch by {
            case "name": _ = try s.findPF(name: value)
            case "pci": _ = try s.findPF(pci: value)
            default: _ = try s.findPF(mac: value)
            }
        }
        #expect(e?.description == message)
        withExtendedLifetime(f) {}
    }

    @Test("two PFs with one MAC is an error naming both")
    func ambiguousMAC() throws {
        let f = try SysfsFixture()
        try f.tree.file("devices/pci0000:00/0000:00:03.0/virtio0/net/eth0/address", SysfsTree.pfMAC + "\n")
        let e = #expect(throws: SRIOVError.self) { try f.sysfs.findPF(mac: SysfsTree.pfMAC) }
        #expect(e?.description == "MAC 52:54:00:12:76:01 matches several interfaces: eth0, eth1")
    }

    @Test("a garbled sriov_totalvfs names the file")
    func badAttribute() throws {
        let f = try SysfsFixture()
        try f.tree.file("\(SysfsTree.pfDir)/sriov_totalvfs", "seven\n")
        #expect(throws: SRIOVError.badAttribute(path: "\(f.root)/class/net/eth1/device/sriov_totalvfs", text: "seven")) {
            try f.sysfs.findPF(name: "eth1")
        }
    }

    @Test("VFs are ordered by index, not by name (virtfn10 after virtfn2)")
    func vfOrder() throws {
        let f = try SysfsFixture()
        try f.tree.addVF(index: 10, pci: "0000:01:11.4", netdev: "eth12")
        try f.tree.addVF(index: 2, pci: "0000:01:10.4", netdev: "eth4")
        #expect(try f.sysfs.findPF(name: "eth1").vfs.map(\.index) == [0, 1, 2, 10])
    }
}

@Suite("SR-IOV sriov_numvfs")
struct SRIOVNumVFsTests {
    @Test("writes the count the way `echo N >` does, and the PF reads it back")
    func write() throws {
        let f = try SysfsFixture()
        let pf = try f.sysfs.findPF(name: "eth1")
        try f.sysfs.setNumVFs(pf, 0)
        #expect(try f.tree.read("\(SysfsTree.pfDir)/sriov_numvfs") == "0\n")
        try f.sysfs.setNumVFs(pf, 7)
        #expect(try f.tree.read("\(SysfsTree.pfDir)/sriov_numvfs") == "7\n")
        #expect(try f.sysfs.reload(pf).numVFs == 7)
    }

    @Test("beyond sriov_totalvfs, or on a device without SR-IOV, nothing is written")
    func refused() throws {
        let f = try SysfsFixture()
        let pf = try f.sysfs.findPF(name: "eth1")
        let e = #expect(throws: SRIOVError.self) { try f.sysfs.setNumVFs(pf, 8) }
        #expect(e?.description == "eth1: 8 VFs requested but sriov_totalvfs is 7")
        #expect(throws: SRIOVError.self) { try f.sysfs.setNumVFs(pf, -1) }
        #expect(try f.tree.read("\(SysfsTree.pfDir)/sriov_numvfs") == "2\n")
        let eth0 = try f.sysfs.device(name: "eth0")
        #expect(throws: SRIOVError.noSRIOV(name: "eth0", driver: "virtio_net")) { try f.sysfs.setNumVFs(eth0, 1) }
    }

    @Test("a missing sriov_numvfs is not created (O_CREAT never reaches sysfs)")
    func noCreate() throws {
        let f = try SysfsFixture()
        let pf = try f.sysfs.findPF(name: "eth1")
        try FileManager.default.removeItem(atPath: "\(f.root)/\(SysfsTree.pfDir)/sriov_numvfs")
        let e = #expect(throws: SRIOVError.self) { try f.sysfs.setNumVFs(pf, 3) }
        #expect(e?.description == "eth1: writing 3 to device/sriov_numvfs: No such file or directory (ENOENT) — the device has no SR-IOV")
        #expect(!FileManager.default.fileExists(atPath: "\(f.root)/\(SysfsTree.pfDir)/sriov_numvfs"))
    }

    @Test("the kernel's EBUSY says why: igb needs 0 first")
    func busyMessage() {
        let e = SRIOVError.numVFsRefused(name: "eth1", driver: "igb", requested: 4, current: 2, errno: .busy)
        #expect(e.description == "eth1: writing 4 to device/sriov_numvfs: Device or resource busy (EBUSY)"
                + " — 2 VFs are enabled; igb needs 0 before a different non-zero count")
    }

    @Test("planning the writes: through 0 only between two non-zero counts", arguments: [
        (0, 7, [7], false), (7, 7, [], false), (2, 4, [0, 4], true), (4, 2, [0, 2], true), (4, 0, [0], true),
    ])
    func plan(current: Int, desired: Int, writes: [Int], destroys: Bool) {
        let c = NumVFsChange(current: current, desired: desired)
        #expect(c.writes == writes)
        #expect(c.destroysVFs == destroys)
        #expect(c.throughZero == (writes.count == 2))
    }
}

@Suite("SR-IOV waiting for VF netdevs")
struct SRIOVWaitTests {
    @Test("returns once the VFs and their netdevs appear (made by another thread after 200 ms)")
    func appears() throws {
        let f = try SysfsFixture()
        try f.tree.removeVFs()
        let pf = try f.sysfs.findPF(name: "eth1")
        #expect(pf.vfs.isEmpty)
        try f.sysfs.setNumVFs(pf, 3)
        let tree = f.tree
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) {
            for i in 0..<3 { try? tree.addVF(index: i, pci: "0000:01:10.\(2 * i)", netdev: "eth\(i + 2)") }
        }
        let start = ContinuousClock.now
        let vfs = try f.sysfs.waitForVFNetdevs(pf: pf, count: 3, timeout: .seconds(10))
        #expect(vfs.map(\.netdevs) == [["eth2"], ["eth3"], ["eth4"]])
        #expect(vfs.map(\.pciAddress) == ["0000:01:10.0", "0000:01:10.2", "0000:01:10.4"])
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test("times out when one never appears, saying how many did and what the other lacks")
    func timesOut() throws {
        let f = try SysfsFixture()
        try f.tree.addVF(index: 2, pci: "0000:01:10.4", netdev: nil, driver: nil)
        let pf = try f.sysfs.findPF(name: "eth1")
        let start = ContinuousClock.now
        let e = #expect(throws: SRIOVError.self) {
            try f.sysfs.waitForVFNetdevs(pf: pf, count: 3, timeout: .milliseconds(300))
        }
        let took = ContinuousClock.now - start
        #expect(e?.description == "eth1: 1 of 3 VF netdevs appeared within 0.3 s (3 VFs present; still without a netdev:"
                + " vf 1 0000:01:10.2 (driver igbvf), vf 2 0000:01:10.4 (no driver bound))")
        #expect(took >= .milliseconds(300) && took < .seconds(3))
    }

    @Test("already there: returns at once")
    func immediate() throws {
        let f = try SysfsFixture()
        let pf = try f.sysfs.findPF(name: "eth1")
        #expect(try f.sysfs.waitForVFNetdevs(pf: pf, count: 1, timeout: .zero).map(\.index) == [0, 1])
    }
}

@Suite("modprobe.d option for igb max_vfs")
struct ModprobeOptionTests {
    let seven = ModprobeOption.igbMaxVFs(7)

    @Test("a new file: Plumb's header and the option line")
    func fresh() {
        #expect(seven.merged(into: "") == ModprobeOption.header + "\noptions igb max_vfs=7\n")
        #expect(seven.line == "options igb max_vfs=7")
    }

    @Test("idempotent: text that already sets it comes back unchanged, byte for byte", arguments: [
        "options igb max_vfs=7\n",
        "# mine\noptions igb\tmax_vfs=7  debug=1\n",
        "options igb max_vfs=7",                       // no final newline: still unchanged
        "options igb max-vfs=7\n",                      // the kernel reads '-' as '_'
    ])
    func unchanged(text: String) {
        #expect(seven.merged(into: text) == text)
    }

    @Test("merging keeps every other line; converges after one pass", arguments: [
        ("options igb max_vfs=2\n", "options igb max_vfs=7\n"),
        ("options igb debug=1\n", "options igb debug=1 max_vfs=7\n"),
        ("# keep\noptions ixgbe max_vfs=2\n", "# keep\noptions ixgbe max_vfs=2\noptions igb max_vfs=7\n"),
        ("options igb max_vfs=1\noptions igb max_vfs=2 debug=1\n", "options igb max_vfs=7\noptions igb max_vfs=7 debug=1\n"),
        ("blacklist igbvf", "blacklist igbvf\noptions igb max_vfs=7\n"),
        ("#options igb max_vfs=1\n", "#options igb max_vfs=1\noptions igb max_vfs=7\n"),
    ])
    func merge(text: String, expected: String) {
        let once = seven.merged(into: text)
        #expect(once == expected)
        #expect(seven.merged(into: once) == once)
        #expect(seven.currentValue(in: once) == "7")
    }

    @Test("what modprobe would apply: the last occurrence; nil when unset")
    func current() {
        #expect(seven.currentValue(in: "options igb max_vfs=1\noptions igb max_vfs=3\n") == "3")
        #expect(seven.currentValue(in: "options ixgbe max_vfs=3\n# options igb max_vfs=4\n") == nil)
    }

    @Test("removing drops only the parameter, and an options line left empty")
    func remove() {
        #expect(seven.removed(from: "options igb max_vfs=7 debug=1\n") == "options igb debug=1\n")
        #expect(seven.removed(from: "# x\noptions igb max_vfs=7\n") == "# x\n")
        #expect(seven.removed(from: "options ixgbe max_vfs=7") == "options ixgbe max_vfs=7")
    }

    @Test("the file: written once, then left alone; removed again when only the header is left")
    func file() throws {
        let dir = NSTemporaryDirectory() + "plumb-modprobe-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/modprobe.d/plumb-igb.conf"
        #expect(try seven.ensure(path: path))
        #expect(try !seven.ensure(path: path))
        #expect(try ModprobeOption.read(path: path) == ModprobeOption.header + "\noptions igb max_vfs=7\n")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o644)
        #expect(try ModprobeOption.igbMaxVFs(3).ensure(path: path))
        #expect(try ModprobeOption.read(path: path).hasSuffix("\noptions igb max_vfs=3\n"))
        #expect(try seven.remove(path: path))
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try !seven.remove(path: path))
        #expect(ModprobeOption.defaultPath == "/etc/modprobe.d/plumb-igb.conf")
    }
}
