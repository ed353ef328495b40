import Foundation
import PlumbEngine
import PlumbManifest
import PlumbNetlink
import PlumbSystem
import Testing

/// SR-IOV planning driven from a fixture sysfs tree: the PF is discovered by the real
/// sysfs code (`SRIOVSysfs(sysfsRoot:)`), then the pure planner decides. The lab
/// proves the same on the real igb driver.
@Suite("Planner: SR-IOV on a fixture sysfs tree")
struct PlannerSRIOVTests {
    /// eth1: igb PF 0000:01:00.0, 7 VFs possible, `numVFs` enabled (VF n: 0000:01:10.n, netdev eth(10+n));
    /// eth0: virtio_net, no SR-IOV.
    final class Tree {
        let root = NSTemporaryDirectory() + "plumb-eng-sysfs-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        init(numVFs: Int) throws {
            let pf = "devices/pci0000:00/0000:00:02.0/0000:01:00.0"
            try file("\(pf)/sriov_totalvfs", "7\n"); try file("\(pf)/sriov_numvfs", "\(numVFs)\n")
            try dir("bus/pci/drivers/igb"); try dir("bus/pci/drivers/igbvf"); try dir("bus/virtio/drivers/virtio_net")
            try link("\(pf)/driver", "../../../../bus/pci/drivers/igb")
            try netdev("eth1", dev: pf, mac: "52:54:00:12:76:01")
            for i in 0..<numVFs {
                let vf = "devices/pci0000:00/0000:00:02.0/0000:01:10.\(i)"
                try link("\(vf)/physfn", "../0000:01:00.0"); try link("\(vf)/driver", "../../../../bus/pci/drivers/igbvf")
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
            try link("\(dev)/net/\(name)/device", "../..")
            try link("class/net/\(name)", "../../" + dev + "/net/\(name)")
        }

        func observed(_ ref: String = "eth1", settings: [VFSettings] = []) -> ObservedState {
            var o = ObservedState()
            o.sysctls = [:]
            do { o.pfs[ref] = PFState(pf: try SRIOVSysfs(sysfsRoot: root).findPF(name: ref), settings: settings) } catch {
                o.pfs[ref] = PFState(error: "\(error)")
            }
            return o
        }
    }

    func manifest(_ yaml: String) throws -> Manifest { try ManifestLoader.parse(yaml, defaultName: "seed") }

    let seed = """
        version: 1
        nics: [{name: eth1, sriov: {numVFs: 7, vfs: [{index: 0, vlan: 12, mac: "02:00:00:00:00:10"}]}}]
        containers:
          - {name: c1, netns: c1, interfaces: [{name: eth1, vf: {nic: eth1, index: 0}, addresses: [10.217.121.107/21]}],
             routes: [{to: default, via: 10.217.120.1}]}
        """

    @Test("the seed's recipe from a PF with no VFs: enable, set VF 0, move it in, address, route")
    func seedRecipe() throws {
        let tree = try Tree(numVFs: 0)
        let plan = try Planner(manifest: try manifest(seed), observed: tree.observed(), record: nil).applyPlan()
        #expect(plan.steps.map(\.command) == [
            "echo 7 > /sys/class/net/eth1/device/sriov_numvfs",
            "ip link set dev eth1 vf 0 mac 02:00:00:00:00:10 vlan 12",
            "ip netns add c1 (lo up, IPv6 off)",
            "ip link set dev <VF 0 of eth1> netns c1 name eth1",
            "ip -n c1 link set dev eth1 alias plumb:seed up",
            "ip -n c1 addr add 10.217.121.107/21 dev eth1",
            "ip -n c1 route add default via 10.217.120.1 dev eth1",
        ])
    }

    @Test("VFs already enabled: the VF's current netdev is moved by name, the count is left alone")
    func existingVFs() throws {
        let tree = try Tree(numVFs: 7)
        let plan = try Planner(manifest: try manifest(seed), observed: tree.observed(settings: [VFSettings(index: 0, spoofCheck: true, trust: false)]),
                               record: nil).applyPlan()
        #expect(!plan.steps.contains { $0.action == .setNumVFs })
        #expect(plan.steps.contains { $0.command == "ip link set dev eth10 netns c1 name eth1" })
    }

    @Test("2 → 4 VFs must pass through 0: refused, saying why, unless allowed")
    func disruptive() throws {
        let tree = try Tree(numVFs: 2)
        let m = try manifest("version: 1\nnics: [{name: eth1, sriov: {numVFs: 4}}]\n")
        #expect {
            try Planner(manifest: m, observed: tree.observed(), record: nil).applyPlan()
        } throws: { "\($0)".contains("destroys the 2 live VFs") && "\($0)".contains("--allow-disruptive") && "\($0)".contains("(line 2)") }
        let allowed = try Planner(manifest: m, observed: tree.observed(), record: nil, allowDisruptive: true).applyPlan()
        #expect(allowed.steps.map(\.command) == ["echo 0 > /sys/class/net/eth1/device/sriov_numvfs",
                                                 "echo 4 > /sys/class/net/eth1/device/sriov_numvfs"])
    }

    @Test("a VF index beyond sriov_totalvfs, a PF that does not exist, a NIC without SR-IOV: errors naming them")
    func refusals() throws {
        let tree = try Tree(numVFs: 0)
        let beyond = try manifest("version: 1\nnics: [{name: eth1}]\ncontainers: [{name: c, netns: c, interfaces: [{name: e, vf: {nic: eth1, index: 9}}]}]\n")
        #expect { try Planner(manifest: beyond, observed: tree.observed(), record: nil).applyPlan() }
            throws: { "\($0)".contains("9 is beyond sriov_totalvfs 7 of eth1") }
        let missing = try manifest("version: 1\nnics: [{name: eth9, sriov: {numVFs: 2}}]\n")
        #expect { try Planner(manifest: missing, observed: tree.observed("eth9"), record: nil).applyPlan() }
            throws: { "\($0)".contains("eth9") }
        let virtio = try manifest("version: 1\nnics: [{name: eth0, sriov: {numVFs: 2}}]\n")
        #expect { try Planner(manifest: virtio, observed: tree.observed("eth0"), record: nil).applyPlan() }
            throws: { "\($0)".contains("has no SR-IOV") }
    }

    @Test("converged: settings match and the VF is already in the container as eth1")
    func converged() throws {
        let tree = try Tree(numVFs: 7)
        var o = tree.observed(settings: [VFSettings(index: 0, mac: MACAddress("02:00:00:00:00:10"), vlan: VFVLAN(id: 12), spoofCheck: true, trust: false)])
        o.namedNamespaces = ["c1"]
        o.namespaces["c1"] = NamespaceSnapshot(
            links: [LinkInfo(index: 1, name: "lo", up: true), LinkInfo(index: 4, name: "eth1", up: true, alias: "plumb:seed")],
            addresses: [AddressInfo(index: 4, prefix: IPPrefix("10.217.121.107/21")!)],
            routes: [RouteInfo(destination: IPPrefix.defaultRoute(.v4), gateway: IPAddress("10.217.120.1"), index: 4)])
        o.busInfo["c1/eth1"] = "0000:01:10.0"
        #expect(try Planner(manifest: try manifest(seed), observed: o, record: nil).applyPlan().converged)
        o.busInfo["c1/eth1"] = "0000:01:10.3"
        #expect { try Planner(manifest: try manifest(seed), observed: o, record: nil).applyPlan() }
            throws: { "\($0)".contains("already has an interface eth1 that is not VF 0 of eth1") }
    }

    @Test("destroy moves the VF back, restores its settings, and the count only if plumb raised it")
    func destroy() throws {
        let tree = try Tree(numVFs: 7)
        var o = tree.observed()
        o.namespaces["c1"] = NamespaceSnapshot(links: [LinkInfo(index: 4, name: "eth1")])
        o.namedNamespaces = ["c1"]
        var record = OwnershipRecord(manifest: "seed", namespaces: ["c1"])
        record.movedVFs = [MovedVF(pf: "eth1", index: 0, namespace: "c1", name: "eth1", hostName: "eth10")]
        record.nicOriginals = ["eth1 vf 0": ["set-vf.vlan": "0/0/802.1Q"], "eth1": ["set-numvfs.count": "0"]]
        let steps = Planner(manifest: try manifest(seed), observed: o, record: record).destroyPlan().steps.map(\.command)
        #expect(steps == ["ip -n c1 link set dev eth1 netns 1 name eth10", "ip netns delete c1",
                          "echo 0 > /sys/class/net/eth1/device/sriov_numvfs"])
        record.nicOriginals["eth1"] = nil
        let kept = Planner(manifest: try manifest(seed), observed: o, record: record).destroyPlan().steps.map(\.command)
        #expect(kept.contains("ip link set dev eth1 vf 0 vlan 0") && !kept.contains { $0.contains("sriov_numvfs") })
    }
}
