@testable import PlumbEngine
import PlumbNetlink
import PlumbTypes
import Testing

/// Planner rules on hand-built states: ordering, ownership, destroy, record bookkeeping.
@Suite("Planner rules")
struct PlannerRulesTests {
    let one: Layer
    init() throws { one = try layer(Manifests.small) }
    var alias: String { one.marks.alias }

    @Test("namespaces and bridges come before veths, addresses before routes")
    func ordering() throws {
        let names = try Planner(layer: one, observed: ObservedState(), record: nil).applyPlan().steps.map(\.action.name)
        #expect(names == ["create-netns", "create-bridge", "create-veth", "add-address", "add-address", "add-route"])
    }

    @Test("a link with the desired name that plumb did not create is refused, naming it")
    func foreignLinkRefused() throws {
        var seen = ObservedState()
        seen.host.links = [LinkInfo(index: 5, name: "web-eth0", kind: "veth", alias: "someone-else")]
        let refusal = #expect(throws: PlanErrors.self) { try Planner(layer: one, observed: seen, record: nil).applyPlan() }
        #expect(refusal?.description == "containers[0].interfaces[0].veth.hostName: web-eth0 already exists in the host namespace and was not created by plumb for manifest small (alias \"someone-else\"); rename it in the manifest or remove it (line 7)")
    }

    /// The record of `one` after an apply: its namespace, bridge and veth.
    func applied(_ id: NamespaceIdentity) -> Record {
        var r = Record(owner: one.owner)
        r.namespaces = [NamespaceEntry(ref: .named("web"), identity: id, created: true)]
        r.links = [LinkEntry(link: LinkRef("br0"), kind: .bridge),
                   LinkEntry(link: LinkRef("web-eth0"), kind: .veth, peer: LinkRef("eth0", in: .named("web")))]
        return r
    }

    @Test("destroy deletes our namespace (which takes its veth along) and our bridge, nothing else")
    func destroyByOwnership() {
        let id = NamespaceIdentity(device: 4, inode: 4_026_532_300)
        var seen = ObservedState(namedNamespaces: ["web", "foreign"])
        seen.namespaces = [ObservedNamespace(ref: .named("web"), identity: id, snapshot: NamespaceSnapshot(links: [
            LinkInfo(index: 1, name: "lo", alias: Marks(applied(id).owner).namespaceAlias),
            LinkInfo(index: 2, name: "eth0", kind: "veth", alias: alias)]))]
        seen.host.links = [LinkInfo(index: 3, name: "br0", kind: "bridge", alias: alias),
                           LinkInfo(index: 4, name: "web-eth0", kind: "veth", alias: alias),
                           LinkInfo(index: 9, name: "br9", kind: "bridge")]
        let plan = DestroyPlanner(record: applied(id), observed: seen, others: []).plan().plan
        #expect(plan.steps.map(\.action.command) == ["ip netns delete web", "ip link del dev br0"])
    }

    @Test("destroy leaves a recorded link alone once it no longer carries our alias, and says so")
    func destroySkipsReplacedLink() {
        var seen = ObservedState()
        seen.host.links = [LinkInfo(index: 3, name: "br0", kind: "bridge", alias: "someone-else")]
        var record = Record(owner: one.owner)
        record.links = [LinkEntry(link: LinkRef("br0"), kind: .bridge)]
        let plan = DestroyPlanner(record: record, observed: seen, others: []).plan().plan
        #expect(plan.steps.isEmpty)
        #expect(plan.notes == ["br0 left alone: it no longer carries plumb's mark (alias \"someone-else\")"])
    }

    @Test("destroy restores a sysctl only when no other owner relies on it; the other inherits the original")
    func sharedSysctlsStay() throws {
        var seen = ObservedState()
        seen.sysctls = ["net.ipv4.ip_forward": "1"]
        var record = Record(owner: one.owner)
        record.sysctls = [SysctlOriginal(key: "net.ipv4.ip_forward", value: Kept(original: "0", applied: "1"))]
        #expect(DestroyPlanner(record: record, observed: seen, others: []).plan().plan.steps.map(\.action.command)
                == ["sysctl -w net.ipv4.ip_forward=0"])
        var other = Record(owner: .cniNetwork("net"))
        other.requiredSysctls = [SysctlRequirement(key: "net.ipv4.ip_forward", value: "1")]
        let shared = DestroyPlanner(record: record, observed: seen, others: [other]).plan()
        #expect(shared.plan.steps.isEmpty)
        #expect(shared.handovers == [.init(heir: other.id, what: .sysctl(SysctlOriginal(key: "net.ipv4.ip_forward", value: Kept(original: "0", applied: "1"))))])
    }

    @Test("the record keeps the first original of a tuning value and drops it once restored")
    func tuningOriginals() {
        var r = Record(owner: one.owner)
        r = r.adding([.setRings(RingsChange(nic: "eth1", rx: Change(to: 4096, from: 256), tx: nil))])
        r = r.adding([.setRings(RingsChange(nic: "eth1", rx: Change(to: 2048, from: 4096), tx: nil))])
        #expect(r.nics.map(\.ringsRx) == [Kept(original: 256, applied: 2048)])
        r = r.adding([.setRings(RingsChange(nic: "eth1", rx: Change(to: 256, from: 2048), tx: nil))])
        #expect(r.nics.isEmpty && r.isEmpty)
    }

    @Test("a sysctl that does not exist here is a plan error naming it, before any change")
    func missingSysctl() throws {
        let l = try layer("version: 1\nname: t\nhost: {sysctl: {net.core.netdev_budget: 600}}\n")
        let refusal = #expect(throws: PlanErrors.self) { try Planner(layer: l, observed: ObservedState(), record: nil).applyPlan() }
        #expect(refusal?.description == "host.sysctl.net.core.netdev_budget: no such sysctl here (/proc/sys/net/core/netdev_budget); net.core settings exist only in the initial network namespace, and plumb runs in another one (line 3)")
    }
}
