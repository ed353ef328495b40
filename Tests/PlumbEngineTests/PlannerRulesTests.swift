import PlumbEngine
import PlumbManifest
import PlumbNetlink
import Testing

/// Planner rules on hand-built states: ownership, ordering, destroy, record bookkeeping.
@Suite("Planner rules")
struct PlannerRulesTests {
    func manifest(_ yaml: String) throws -> Manifest { try ManifestLoader.parse(yaml, defaultName: "t") }

    let oneContainer = """
        version: 1
        bridges: [{name: br0, addresses: [10.88.0.1/16]}]
        containers:
          - {name: web, netns: web, interfaces: [{name: eth0, veth: {bridge: br0}, addresses: [10.88.0.2/16]}],
             routes: [{to: default, via: 10.88.0.1}]}
        """

    @Test("routes come after every address, and namespaces before links")
    func ordering() throws {
        let plan = try Planner(manifest: try manifest(oneContainer), observed: ObservedState(), record: nil).applyPlan()
        let actions = plan.steps.map(\.action)
        let firstRoute = actions.firstIndex(of: .addRoute)!
        #expect(actions.lastIndex(of: .addAddress)! < firstRoute)
        #expect(actions.firstIndex(of: .createNamespace)! < actions.firstIndex(of: .createVeth)!)
        #expect(actions.firstIndex(of: .createBridge)! < actions.firstIndex(of: .createVeth)!)
    }

    @Test("a link with the desired name that plumb did not create is refused, naming it")
    func foreignLinkRefused() throws {
        var seen = ObservedState()
        seen.host.links = [LinkInfo(index: 5, name: "web-eth0", kind: "veth", alias: "someone-else")]
        #expect {
            try Planner(manifest: try manifest(oneContainer), observed: seen, record: nil).applyPlan()
        } throws: { "\($0)".contains("web-eth0 already exists") && "\($0)".contains("not created by plumb") }
    }

    @Test("destroy deletes our namespace (which takes its veth along) and our bridge, nothing else")
    func destroyByOwnership() throws {
        var seen = ObservedState()
        seen.namedNamespaces = ["web", "foreign"]
        seen.host.links = [LinkInfo(index: 3, name: "br0", kind: "bridge", alias: "plumb:t"),
                           LinkInfo(index: 4, name: "web-eth0", kind: "veth", alias: "plumb:t"),
                           LinkInfo(index: 9, name: "br9", kind: "bridge", alias: nil)]
        let record = OwnershipRecord(manifest: "t", namespaces: ["web"], links: [
            .init(namespace: "host", name: "br0", kind: "bridge"),
            .init(namespace: "host", name: "web-eth0", kind: "veth", peerNamespace: "web")])
        let plan = Planner(manifest: try manifest(oneContainer), observed: seen, record: record).destroyPlan()
        #expect(plan.steps.map(\.command) == ["ip netns delete web", "ip link del dev br0"])
    }

    @Test("destroy leaves a recorded link alone once it no longer carries our alias")
    func destroySkipsReplacedLink() throws {
        var seen = ObservedState()
        seen.host.links = [LinkInfo(index: 3, name: "br0", kind: "bridge", alias: "someone-else")]
        let record = OwnershipRecord(manifest: "t", links: [.init(namespace: "host", name: "br0", kind: "bridge")])
        #expect(Planner(manifest: try manifest(oneContainer), observed: seen, record: record).destroyPlan().steps.isEmpty)
    }

    @Test("destroy restores a sysctl only when no other manifest changed it too")
    func sharedSysctlsStay() throws {
        var seen = ObservedState()
        seen.sysctls = ["net.ipv4.ip_forward": "1"]
        let record = OwnershipRecord(manifest: "t", sysctls: ["net.ipv4.ip_forward": "0"])
        let planner = Planner(manifest: try manifest(oneContainer), observed: seen, record: record)
        #expect(planner.destroyPlan().steps.map(\.command) == ["sysctl -w net.ipv4.ip_forward=0"])
        #expect(planner.destroyPlan(sharedSysctls: ["net.ipv4.ip_forward"]).steps.isEmpty)
    }

    @Test("the record keeps the first original of a tuning value and drops it once restored")
    func tuningOriginals() {
        var r = OwnershipRecord(manifest: "t")
        r = r.adding([Step(.setRings, "eth1", ["rx": "4096", "old.rx": "256"])])
        r = r.adding([Step(.setRings, "eth1", ["rx": "2048", "old.rx": "4096"])])
        #expect(r.nicOriginals["eth1"] == ["set-rings.rx": "256"])
        r = r.adding([Step(.setRings, "eth1", ["rx": "256", "old.rx": "256", "reason": "restore"])])
        #expect(r.nicOriginals.isEmpty && r.isEmpty)
    }

    @Test("a sysctl that does not exist here is a plan error naming it, before any change")
    func missingSysctl() throws {
        let m = try manifest("version: 1\nhost: {sysctl: {net.core.netdev_budget: 600}}\n")
        #expect {
            try Planner(manifest: m, observed: ObservedState(), record: nil).applyPlan()
        } throws: { "\($0)".contains("host.sysctl.net.core.netdev_budget: no such sysctl here") && "\($0)".contains("initial network namespace") }
    }
}
