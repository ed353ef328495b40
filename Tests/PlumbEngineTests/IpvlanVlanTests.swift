import PlumbEngine
import PlumbNetlink
import PlumbSystem
import PlumbTypes
import Testing

/// The ipvlan and vlan kinds on the fake kernel (this machine's kernel has neither; the lab
/// runs them on Debian's): what they make, rollback at every step, drift repaired,
/// refusals before any change, and a destroy that touches only what it made.
@Suite("Ipvlan and VLAN interfaces")
struct IpvlanVlanTests {
    /// An ipvlan and a VLAN on a host NIC, an 802.1ad VLAN on a bridge the same manifest
    /// creates, and a VLAN on a VF the same manifest moves into the container.
    static let yaml = """
        version: 1
        name: kinds
        bridges: [{name: br0, addresses: [10.88.0.1/16]}]
        nics: [{name: eth1, sriov: {numVFs: 1}}]
        containers:
          - name: app
            netns: app
            interfaces:
              - {name: eth1, ipvlan: {parent: eth0, mode: l2, flags: private}, addresses: [192.168.122.50/24], mtu: 1400}
              - {name: eth2, vlan: {parent: eth0, id: 12}, addresses: [10.12.0.5/24]}
              - {name: eth3, vlan: {parent: br0, id: 50, protocol: 802.1ad}, addresses: [10.50.0.5/24]}
              - {name: eth4, vf: {nic: eth1, index: 0}}
              - {name: eth4.22, vlan: {parent: eth4, id: 22}, addresses: [10.22.0.5/24], mac: "02:00:00:00:22:05"}
            routes: [{to: 172.16.0.0/12, via: 192.168.122.1}]
          - name: b
            netns: b
            interfaces: [{name: eth0, vlan: {parent: eth0, id: 13}}]   # named like its host parent
        """

    /// The container's link as the kernel holds it: kind, parent name, the parent's
    /// namespace is the host, ipvlan mode, VLAN id and protocol, MAC.
    struct Seen: Equatable {
        var kind: String?
        var parent: String?
        var parentInHost: Bool
        var ipvlan: IpvlanMode?
        var flag: IpvlanFlag?
        var vlan: Int?
        var proto: VLANProtocol?
        var mac: MACAddress?
        var alias: String?
    }

    func seen(_ k: FakeKernel, _ name: String, in ns: String = "app") -> Seen? {
        guard let id = k.id(of: name, in: .named(ns)), let l = k.link(id) else { return nil }
        return Seen(kind: l.kind, parent: l.lower.flatMap { k.link($0)?.name }, parentInHost: l.lower?.ns == FakeKernel.hostID,
                    ipvlan: l.ipvlanMode, flag: l.ipvlanFlag, vlan: l.vlanID, proto: l.vlanProtocol, mac: l.mac, alias: l.alias)
    }

    @Test("apply makes each ipvlan and VLAN in the container on its parent, then plans nothing")
    func applyConverges() throws {
        let w = World(), kl = try layer(Self.yaml)
        let plan = try w.engine().apply(kl)
        #expect(plan.steps.filter { $0.action.name == "create-ipvlan" }.count == 1)
        #expect(plan.steps.filter { $0.action.name == "create-vlan" }.count == 4)
        let k = w.kernel, eth0MAC = k.host.link(named: "eth0")!.mac
        let eth1 = try #require(seen(k, "eth1"))
        #expect(eth1.kind == "ipvlan" && eth1.parent == "eth0" && eth1.parentInHost && eth1.ipvlan == .l2 && eth1.flag == .private && eth1.mac == eth0MAC)
        #expect(eth1.alias == kl.marks.alias)
        #expect(k.link(k.id(of: "eth1", in: .named("app"))!)?.mtu == 1400)
        let eth2 = try #require(seen(k, "eth2"))
        #expect(eth2.kind == "vlan" && eth2.parent == "eth0" && eth2.parentInHost && eth2.vlan == 12 && eth2.proto == .dot1q && eth2.mac == eth0MAC)
        let eth3 = try #require(seen(k, "eth3"))
        #expect(eth3.parent == "br0" && eth3.vlan == 50 && eth3.proto == .dot1ad)
        let onVF = try #require(seen(k, "eth4.22"))
        #expect(onVF.parent == "eth4" && !onVF.parentInHost && onVF.vlan == 22 && onVF.mac == MACAddress("02:00:00:00:22:05"))
        // Named like its parent: the host's eth0, not itself.
        let named = try #require(seen(k, "eth0", in: "b"))
        #expect(named.parent == "eth0" && named.parentInHost && named.vlan == 13)
        #expect(try w.engine().plan(kl).converged)
        let entries = try #require(try w.record(kl)).links.filter { $0.kind == .vlan || $0.kind == .ipvlan }
        #expect(entries.map { "\($0.kind.rawValue) \($0.link.name) on \($0.parent!.name) in \($0.parent!.namespace)" }.sorted() == [
            "ipvlan eth1 on eth0 in the host namespace", "vlan eth0 on eth0 in the host namespace", "vlan eth2 on eth0 in the host namespace",
            "vlan eth3 on br0 in the host namespace", "vlan eth4.22 on eth4 in netns app"])
        #expect(plan.steps.contains { $0.summary.contains("link add link eth0 name plumb") && $0.summary.contains("vlan id 13") }, "the host has an eth0: born under a temporary name")
    }

    @Test("the plan creates ipvlans and VLANs, and a failure at every step of it rolls everything back")
    func rollbackAtEveryStep() throws {
        let kl = try layer(Self.yaml)
        let reference = try StepOperations(kl) { .standard() }
        #expect(reference.entries.contains { $0.step.action.name == "create-ipvlan" })
        #expect(reference.entries.contains { $0.step.action.name == "create-vlan" })
        for (i, e) in reference.entries.enumerated() {
            expectRolledBack(kl, at: i + 1, "faultStep \(i + 1) (\(e.step.summary))", faultStep: i + 1)
            for (n, op) in e.operations.enumerated() {
                let what = "\(op.name) (operation \(n + 1) of \(e.operations.count)) refused at step \(i + 1) (\(e.step.action.name))"
                expectRolledBack(kl, at: i + 1, what) { $0.fail(op.name, with: .noBufferSpace, skip: op.skip) }
            }
        }
    }

    func expectRolledBack(_ kl: Layer, at k: Int, _ what: String, faultStep: Int? = nil, arm: (FakeKernel) -> Void = { _ in }) {
        let w = World()
        let before = w.kernel.snapshot(), records = w.recordFiles()
        arm(w.kernel)
        let error = #expect(throws: ApplyError.self, "\(what)") { try w.engine(faultStep: faultStep).apply(kl) }
        #expect(error?.stepNumber == k, "\(what)")
        #expect(error?.undoFailures.isEmpty == true, "\(what): \(error?.undoFailures ?? [])")
        expectSame(w.kernel.snapshot(), before, what)
        #expect(w.recordFiles() == records, "\(what)")
    }

    @Test("drift: renamed, moved to the host, deleted, mode, flag or id changed — each planned and repaired",
          arguments: ["eth1", "eth2", "eth4.22"])
    func driftRepaired(name: String) throws {
        let w = World(), kl = try layer(Self.yaml)
        try w.engine().apply(kl)
        let k = w.kernel, app = NamespaceRef.named("app")
        let want = try #require(seen(k, name))
        var drifts: [(String, () -> Void)] = [
            ("renamed", { k.update(k.id(of: name, in: app)!) { $0.name = "foo" } }),
            ("deleted", { k.removeLink(k.id(of: name, in: app)!) }),
        ]
        if want.parentInHost { drifts.append(("moved to the host", { k.move(k.id(of: name, in: app)!, to: k.host, name: name) })) }
        if want.kind == "ipvlan" {
            drifts.append(("mode changed", { k.update(k.id(of: name, in: app)!) { $0.ipvlanMode = .l3 } }))
            drifts.append(("flag changed", { k.update(k.id(of: name, in: app)!) { $0.ipvlanFlag = .vepa } }))
        }
        if want.kind == "vlan" { drifts.append(("id changed", { k.update(k.id(of: name, in: app)!) { $0.vlanID = 99 } })) }
        for (what, drift) in drifts {
            drift()
            #expect(try !w.engine().plan(kl).converged, "\(name) \(what)")
            try w.engine().apply(kl)
            #expect(try w.engine().plan(kl).converged, "\(name) \(what)")
            #expect(seen(k, name) == want, "\(name) \(what)")
            #expect(k.host.links.values.filter { $0.kind == "ipvlan" || $0.kind == "vlan" }.isEmpty, "\(name) \(what): one left in the host")
            #expect(k.id(of: "foo", in: app) == nil, "\(name) \(what)")
        }
    }

    @Test("refused with the field's path before any change: a missing parent, an MTU above it, a foreign link by the name, a busy parent, another ipvlan mode or flag on it, a VLAN id taken on it",
          arguments: [
            ("ipvlan: {parent: eth9, flags: vepa}", "containers[0].interfaces[0].ipvlan.parent", "parent eth9 does not exist in the host namespace", ""),
            ("vlan: {parent: eth9, id: 5}", "containers[0].interfaces[0].vlan.parent", "parent eth9 is neither an interface of container app nor a link", ""),
            ("ipvlan: {parent: eth0}, mtu: 9000", "containers[0].interfaces[0].mtu", "above its parent eth0's MTU 1500", ""),
            ("vlan: {parent: eth0, id: 5}, mtu: 9000", "containers[0].interfaces[0].mtu", "above its parent eth0's MTU 1500", ""),
            ("vlan: {parent: eth0, id: 5}", "containers[0].interfaces[0].name", "eth1 already exists", "dummy-in-app"),
            ("ipvlan: {parent: eth0, mode: l3}", "containers[0].interfaces[0].ipvlan.mode", "eth0 already carries ipvlan fip0 in mode l2 bridge: the kernel keeps one ipvlan mode and flag per parent and would switch it to l3 bridge", "ipvlan"),
            ("ipvlan: {parent: eth0, flags: vepa}", "containers[0].interfaces[0].ipvlan.flags", "eth0 already carries ipvlan fip0 in mode l2 bridge: the kernel keeps one ipvlan mode and flag per parent and would switch it to l2 vepa", "ipvlan"),
            ("ipvlan: {parent: eth0}", "containers[0].interfaces[0].ipvlan.parent", "parent eth0 already carries macvlan fmv0: the kernel refuses an ipvlan beside it (EBUSY)", "macvlan"),
            ("ipvlan: {parent: port0}", "containers[0].interfaces[0].ipvlan.parent", "parent port0 is a port of bridge brx: the kernel refuses an ipvlan on it (EBUSY)", "port"),
            ("vlan: {parent: eth0, id: 30}", "containers[0].interfaces[0].vlan.id", "eth0 already has VLAN 30 (802.1Q): fv30; the kernel allows one per parent", "vlan"),
          ])
    func refusedBeforeAnyChange(decl: String, path: String, message: String, setup: String) throws {
        let w = World(), k = w.kernel
        let eth0 = k.host.link(named: "eth0")!.index
        switch setup {
        case "dummy-in-app": k.addNamespace("app"); k.addLink("eth1", in: .named("app"), kind: "dummy")
        case "ipvlan": try k.links(in: .host).createIpvlan(IpvlanRequest(name: "fip0", parentIndex: eth0, mode: .l2, namespace: .host, mtu: nil))
        case "macvlan":
            try k.links(in: .host).createMacvlan(MacvlanRequest(name: "fmv0", parentIndex: eth0, mode: .bridge, namespace: .host, mac: nil, mtu: nil))
        case "port": k.addLink("brx", kind: "bridge"); k.addLink("port0", kind: "dummy", master: "brx")
        case "vlan":
            try k.links(in: .host).createVlan(VlanRequest(name: "fv30", parentIndex: eth0, id: 30, proto: .dot1q, namespace: nil, mac: nil, mtu: nil))
        default: break
        }
        let yaml = """
            version: 1
            name: kl
            containers:
              - name: app
                netns: app
                interfaces: [{name: eth1, \(decl), addresses: [192.168.122.50/24]}]
            """
        let before = k.snapshot()
        k.log = []
        let error = #expect(throws: PlanErrors.self, "\(decl)") { try w.engine().apply(try layer(yaml)) }
        let found = error?.errors.first { $0.path == path }
        #expect(found?.message.contains(message) == true, "\(decl): \(error.map { "\($0)" } ?? "no error")")
        #expect(found?.line != nil, "\(decl): no line")
        #expect(k.log.isEmpty, "\(decl): \(k.log)")
        expectSame(k.snapshot(), before, decl)
    }

    @Test("a VLAN id taken on the parent in a namespace the plan cannot see: the kernel refuses it (EEXIST), the apply is rolled back")
    func takenVlanInUnseenNamespaceRolledBack() throws {
        let w = World(), k = w.kernel
        k.addNamespace("other")
        try k.links(in: .host).createVlan(VlanRequest(name: "fv30", parentIndex: k.host.link(named: "eth0")!.index, id: 30, proto: .dot1q,
                                                      namespace: .named("other"), mac: nil, mtu: nil))
        let before = k.snapshot()
        let yaml = "version: 1\nname: kl\ncontainers: [{name: app, netns: app, interfaces: [{name: eth1, vlan: {parent: eth0, id: 30}}]}]\n"
        let error = #expect(throws: ApplyError.self) { try w.engine().apply(try layer(yaml)) }
        #expect(error?.errno == .exists, "\(error.map { "\($0)" } ?? "")")
        expectSame(k.snapshot(), before, "after the refused VLAN")
        #expect(w.recordFiles().isEmpty)
    }

    @Test("destroy removes the owner's ipvlans and VLANs and leaves a foreign ipvlan and VLAN on the same parent")
    func destroyLeavesForeignChildren() throws {
        let w = World(), kl = try layer(Self.yaml)
        try w.engine().apply(kl)
        let k = w.kernel, eth0 = k.host.link(named: "eth0")!.index
        k.addNamespace("other")
        try k.links(in: .host).createIpvlan(IpvlanRequest(name: "fip0", parentIndex: eth0, mode: .l2, namespace: .named("other"), mtu: nil))
        try k.links(in: .host).createVlan(VlanRequest(name: "fv30", parentIndex: eth0, id: 30, proto: .dot1q, namespace: .named("other"), mac: nil, mtu: nil))
        try w.engine().destroy(kl.owner)
        #expect(k.resolve(.named("app")) == nil)
        #expect(seen(k, "fip0", in: "other")?.kind == "ipvlan" && seen(k, "fip0", in: "other")?.parent == "eth0")
        #expect(seen(k, "fv30", in: "other")?.vlan == 30 && seen(k, "fv30", in: "other")?.alias == nil)
    }

    @Test("destroy in a namespace plumb did not create deletes the VLAN on the VF before the VF goes home, and leaves the rest")
    func destroyInForeignNamespaceOrdersChildrenFirst() throws {
        let w = World(), k = w.kernel
        k.addNamespace("app")
        k.addLink("keep0", in: .named("app"), kind: "dummy")
        let kl = try layer(Self.yaml)
        try w.engine().apply(kl)
        let plan = try w.engine().destroy(kl.owner)
        let names = plan.steps.map { "\($0.action.name) \($0.action.object)" }
        let vlanGone = try #require(names.firstIndex(of: "delete-link eth4.22"), "\(names)")
        let vfHome = try #require(names.firstIndex { $0.hasPrefix("return-vf") }, "\(names)")
        #expect(vlanGone < vfHome, "\(names)")
        for n in ["eth1", "eth2", "eth3", "eth4", "eth4.22"] { #expect(k.id(of: n, in: .named("app")) == nil, "\(n)") }
        #expect(k.id(of: "keep0", in: .named("app")) != nil)
    }

    @Test("destroying the owner of a bridge another owner's VLAN sits on is refused before any change")
    func parentInUseRefused() throws {
        let w = World()
        let bridge = try layer("version: 1\nname: net\nbridges: [{name: br9, addresses: [10.9.0.1/24]}]\n", name: "net")
        let child = try layer("""
            version: 1
            name: child
            containers:
              - {name: c, netns: c, interfaces: [{name: eth1, vlan: {parent: br9, id: 7}, addresses: [10.9.7.5/24]}]}
            """, name: "child")
        try w.engine().apply(bridge)
        try w.engine().apply(child)
        let before = w.kernel.snapshot(), records = w.recordFiles()
        let error = #expect(throws: ParentInUseError.self) { try w.engine().destroy(bridge.owner) }
        #expect("\(error!)".contains("vlan eth1 in netns c of manifest child"), "\(error!)")
        expectSame(w.kernel.snapshot(), before, "after the refused destroy")
        #expect(w.recordFiles() == records)
    }

    @Test("two ipvlans of the manifest switching mode together re-create both; the kernel's one-mode-per-parent never trips")
    func modeChangeOfAllOurIpvlans() throws {
        let w = World()
        let two = { (mode: String) in try layer("""
            version: 1
            name: two
            containers:
              - name: app
                netns: app
                interfaces:
                  - {name: eth1, ipvlan: {parent: eth0, mode: \(mode)}, addresses: [192.168.122.51/24]}
                  - {name: eth2, ipvlan: {parent: eth0, mode: \(mode)}, addresses: [192.168.122.52/24]}
            """) }
        try w.engine().apply(two("l2"))
        try w.engine().apply(two("l3"))
        #expect(seen(w.kernel, "eth1")?.ipvlan == .l3 && seen(w.kernel, "eth2")?.ipvlan == .l3)
        #expect(try w.engine().plan(two("l3")).converged)
    }
}
