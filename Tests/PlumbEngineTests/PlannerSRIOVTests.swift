@testable import PlumbEngine
import PlumbNetlink
import PlumbSystem
import PlumbTypes
import Testing

/// SR-IOV planning on a fixture sysfs tree: the PF is discovered by the real sysfs code,
/// then the pure planner decides. The lab proves the same on the real igb driver.
@Suite("Planner: SR-IOV on a fixture sysfs tree")
struct PlannerSRIOVTests {
    let seed: Layer
    init() throws {
        seed = try layer("""
            version: 1
            name: seed
            nics: [{name: eth1, sriov: {numVFs: 7, vfs: [{index: 0, vlan: 12, mac: "02:00:00:00:00:10"}]}}]
            containers:
              - {name: c1, netns: c1, interfaces: [{name: eth1, vf: {nic: eth1, index: 0}, addresses: [10.217.121.107/21]}],
                 routes: [{to: default, via: 10.217.120.1}]}
            """)
    }
    var alias: String { seed.marks.alias }

    @Test("the seed's recipe from a PF with no VFs: enable, set VF 0, move it in, address, route")
    func seedRecipe() throws {
        let tree = try SysfsTree(numVFs: 0)
        let plan = try Planner(layer: seed, observed: tree.observed(), record: nil).applyPlan()
        #expect(plan.steps.map(\.action.command) == [
            "echo 7 > /sys/class/net/eth1/device/sriov_numvfs",
            "ip link set dev eth1 vf 0 mac 02:00:00:00:00:10 vlan 12",
            "ip netns add c1; ip -n c1 link set lo up",
            "ip link set dev <VF 0 of eth1> netns c1 name eth1; ip -n c1 link set dev eth1 alias \"\(alias)\" up",
            "ip -n c1 addr add 10.217.121.107/21 dev eth1",
            "ip -n c1 route add default via 10.217.120.1 dev eth1",
        ])
    }

    @Test("VFs already enabled: the VF's current netdev is moved by name, the count is left alone")
    func existingVFs() throws {
        let tree = try SysfsTree(numVFs: 7)
        let seen = tree.observed(settings: [VFSettings(index: 0, spoofCheck: true, trust: false)])
        let plan = try Planner(layer: seed, observed: seen, record: nil).applyPlan()
        #expect(!plan.steps.contains { $0.action.name == "set-numvfs" })
        #expect(plan.steps.contains { $0.action.command.hasPrefix("ip link set dev eth10 netns c1 name eth1;") })
    }

    @Test("2 → 4 VFs must pass through 0: refused, saying why, unless allowed")
    func disruptive() throws {
        let tree = try SysfsTree(numVFs: 2)
        let l = try layer("version: 1\nnics: [{name: eth1, sriov: {numVFs: 4}}]\n")
        let refusal = #expect(throws: PlanErrors.self) { try Planner(layer: l, observed: tree.observed(), record: nil).applyPlan() }
        #expect(refusal?.description == "nics[0].sriov.numVFs: changing eth1 from 2 to 4 VFs destroys the 2 live VFs: igb needs 0 before a new non-zero count; pass --allow-disruptive or set sriov.allowDisruptive: true (line 2)")
        let allowed = try Planner(layer: l, observed: tree.observed(), record: nil, allowDisruptive: true).applyPlan()
        #expect(allowed.steps.map(\.action.command) == ["echo 0 > /sys/class/net/eth1/device/sriov_numvfs",
                                                        "echo 4 > /sys/class/net/eth1/device/sriov_numvfs"])
    }

    @Test("a VF index beyond sriov_totalvfs, a PF that does not exist, a NIC without SR-IOV: errors naming them")
    func refusals() throws {
        let tree = try SysfsTree(numVFs: 0)
        func refusal(_ yaml: String, _ ref: String) throws -> String? {
            let l = try layer(yaml)
            return #expect(throws: PlanErrors.self) { try Planner(layer: l, observed: tree.observed(ref), record: nil).applyPlan() }?.description
        }
        #expect(try refusal("version: 1\nnics: [{name: eth1}]\ncontainers: [{name: c, netns: c, interfaces: [{name: e, vf: {nic: eth1, index: 9}}]}]\n", "eth1")
                == "containers[0].interfaces[0].vf.index: 9 is beyond sriov_totalvfs 7 of eth1 (line 3)")
        #expect(try refusal("version: 1\nnics: [{name: eth9, sriov: {numVFs: 2}}]\n", "eth9") == "nics[0]: no network interface eth9 (line 2)")
        #expect(try refusal("version: 1\nnics: [{name: eth0, sriov: {numVFs: 2}}]\n", "eth0")
                == "nics[0]: eth0 (driver virtio_net) has no SR-IOV: device/sriov_totalvfs is missing (line 2)")
    }

    /// VF 0 already in c1 as eth1, with the seed's address, route and settings.
    func convergedState(_ tree: SysfsTree, bus: String) -> ObservedState {
        var o = tree.observed(settings: [VFSettings(index: 0, mac: MACAddress("02:00:00:00:00:10"), vlan: VFVLAN(id: 12), spoofCheck: true, trust: false)])
        o.namedNamespaces = ["c1"]
        o.namespaces = [ObservedNamespace(ref: .named("c1"), identity: NamespaceIdentity(device: 4, inode: 4_026_532_400), snapshot: NamespaceSnapshot(
            links: [LinkInfo(index: 1, name: "lo", up: true), LinkInfo(index: 4, name: "eth1", up: true, alias: alias)],
            addresses: [AddressInfo(index: 4, prefix: IPPrefix("10.217.121.107/21")!)],
            routes: [RouteInfo(destination: .defaultRoute(.v4), gateway: IPAddress("10.217.120.1"), index: 4)]))]
        o.busInfo = [BusInfo(namespace: .named("c1"), link: "eth1", pciAddress: bus)]
        return o
    }

    @Test("converged: settings match and VF 0 (by its PCI address) is already in the container as eth1")
    func converged() throws {
        let tree = try SysfsTree(numVFs: 7)
        #expect(try Planner(layer: seed, observed: convergedState(tree, bus: "0000:01:10.0"), record: nil).applyPlan().converged)
        let refusal = #expect(throws: PlanErrors.self) {
            try Planner(layer: seed, observed: convergedState(tree, bus: "0000:01:10.3"), record: nil).applyPlan()
        }
        #expect(refusal?.description == "containers[0].interfaces[0].name: netns c1 already has an interface eth1 that is not VF 0 of eth1 (it is 0000:01:10.3) (line 5)")
    }

    @Test("destroy moves the VF back, restores its settings, and the count only if plumb raised it")
    func destroy() throws {
        let tree = try SysfsTree(numVFs: 7)
        let id = NamespaceIdentity(device: 4, inode: 4_026_532_400)
        var o = tree.observed(settings: [VFSettings(index: 0, vlan: VFVLAN(id: 12))])
        let pfLink = LinkInfo(index: 2, name: "eth1", mac: MACAddress("52:54:00:12:76:01"))
        o.host = NamespaceSnapshot(links: [LinkInfo(index: 1, name: "lo"), pfLink])
        o.namespaces = [ObservedNamespace(ref: .named("c1"), identity: id, snapshot: NamespaceSnapshot(links: [
            LinkInfo(index: 1, name: "lo", alias: seed.marks.namespaceAlias), LinkInfo(index: 4, name: "eth1", alias: alias)]))]
        var record = Record(owner: seed.owner)
        record.namespaces = [NamespaceEntry(ref: .named("c1"), identity: id, created: true)]
        record.movedVFs = [MovedVF(pf: "eth1", vf: 0, link: LinkRef("eth1", in: .named("c1")), hostName: "eth10")]
        record.vfs = [VFOriginal(pf: "eth1", link: LinkIdentity(pfLink), vf: 0, driver: "igb",
                                 vlan: Kept(original: VFVLAN(id: 0), applied: VFVLAN(id: 12)))]
        record.numVFs = [NumVFsOriginal(pf: "eth1", link: LinkIdentity(pfLink), count: Kept(original: 0, applied: 7))]
        let steps = DestroyPlanner(record: record, observed: o, others: []).plan().plan.steps.map(\.action.command)
        #expect(steps == ["ip -n c1 link set dev eth1 netns 1 name eth10", "ip netns delete c1",
                          "echo 0 > /sys/class/net/eth1/device/sriov_numvfs"])
        record.numVFs = []
        let kept = DestroyPlanner(record: record, observed: o, others: []).plan().plan.steps.map(\.action.command)
        #expect(kept == ["ip -n c1 link set dev eth1 netns 1 name eth10", "ip netns delete c1", "ip link set dev eth1 vf 0 vlan 0"])
    }
}
