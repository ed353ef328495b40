import PlumbEngine
import PlumbNetlink
import PlumbSystem
import PlumbTypes
import Testing

/// The macvlan kind on the fake kernel: what it makes, rollback at every step, drift
/// repaired, refusals before any change, and a destroy that touches only what it made.
@Suite("Macvlan interfaces")
struct MacvlanTests {
    /// One macvlan on a NIC, one on a bridge the same manifest creates.
    static let yaml = """
        version: 1
        name: mv
        bridges: [{name: br0, addresses: [10.88.0.1/16]}]
        containers:
          - name: app
            netns: app
            interfaces:
              - {name: eth1, macvlan: {parent: eth0, mode: bridge}, addresses: [192.168.122.50/24], mtu: 1400}
              - {name: eth2, macvlan: {parent: br0, mode: private}, addresses: [10.88.0.5/16]}
            routes: [{to: 10.0.0.0/8, via: 192.168.122.1}]
        """

    /// The one macvlan a passthru parent allows; it has the parent's MAC.
    static let passthru = """
        version: 1
        name: pt
        containers:
          - name: app
            netns: app
            interfaces:
              - {name: eth1, macvlan: {parent: eth0, mode: passthru}, addresses: [192.168.122.60/24]}
        """

    /// The container's link as the kernel holds it: kind, parent (host link name), mode, MTU.
    func macvlan(_ k: FakeKernel, _ name: String, in ns: String = "app") -> (parent: String?, mode: MacvlanMode?, mtu: Int, alias: String?)? {
        guard let id = k.id(of: name, in: .named(ns)), let l = k.link(id), l.kind == "macvlan" else { return nil }
        return (l.lower.flatMap { k.link($0)?.name }, l.macvlanMode, l.mtu, l.alias)
    }

    @Test("apply makes each macvlan in the container, on its parent, in its mode, then plans nothing")
    func applyConverges() throws {
        let w = World(), mv = try layer(Self.yaml)
        let plan = try w.engine().apply(mv)
        #expect(plan.steps.filter { $0.action.name == "create-macvlan" }.count == 2)
        let eth1 = try #require(macvlan(w.kernel, "eth1"))
        #expect(eth1.parent == "eth0" && eth1.mode == .bridge && eth1.mtu == 1400 && eth1.alias == mv.marks.alias)
        let eth2 = try #require(macvlan(w.kernel, "eth2"))
        #expect(eth2.parent == "br0" && eth2.mode == .private)
        #expect(try w.engine().plan(mv).converged)
        let entries = try #require(try w.record(mv)).links.filter { $0.kind == .macvlan }
        #expect(Set(entries.compactMap(\.parent?.name)) == ["eth0", "br0"])
    }

    @Test("the plan has a create-macvlan step, and a failure at every step of it rolls everything back",
          arguments: [yaml, passthru])
    func rollbackAtEveryStep(yaml: String) throws {
        let mv = try layer(yaml)
        let reference = try StepOperations(mv) { .standard() }
        #expect(reference.entries.contains { $0.step.action.name == "create-macvlan" })
        for (i, e) in reference.entries.enumerated() {
            expectRolledBack(mv, at: i + 1, "faultStep \(i + 1) (\(e.step.summary))", faultStep: i + 1)
            for (n, op) in e.operations.enumerated() {
                let what = "\(op.name) (operation \(n + 1) of \(e.operations.count)) refused at step \(i + 1) (\(e.step.action.name))"
                expectRolledBack(mv, at: i + 1, what) { $0.fail(op.name, with: .noBufferSpace, skip: op.skip) }
            }
        }
    }

    @Test("passthru: the macvlan has its parent's MAC, the parent keeps it, a second macvlan on it is refused and rolled back")
    func passthruConverges() throws {
        let w = World(), pt = try layer(Self.passthru)
        let parentMAC = w.kernel.host.link(named: "eth0")!.mac
        try w.engine().apply(pt)
        let id = try #require(w.kernel.id(of: "eth1", in: .named("app")))
        #expect(w.kernel.link(id)?.mac == parentMAC && w.kernel.link(id)?.macvlanMode == .passthru)
        #expect(w.kernel.host.link(named: "eth0")!.mac == parentMAC)
        #expect(try w.engine().plan(pt).converged)

        let second = try layer(Self.yaml.replacingOccurrences(of: "name: mv", with: "name: mv2")
            .replacingOccurrences(of: "netns: app", with: "netns: app2"), name: "mv2")
        let before = w.kernel.snapshot()
        let error = #expect(throws: ApplyError.self) { try w.engine().apply(second) }
        #expect("\(error!)".contains("EBUSY") || "\(error!)".contains("busy"), "\(error!)")
        expectSame(w.kernel.snapshot(), before, "after the refused second macvlan")
    }

    func expectRolledBack(_ mv: Layer, at k: Int, _ what: String, faultStep: Int? = nil, arm: (FakeKernel) -> Void = { _ in }) {
        let w = World()
        let before = w.kernel.snapshot(), records = w.recordFiles()
        arm(w.kernel)
        let error = #expect(throws: ApplyError.self, "\(what)") { try w.engine(faultStep: faultStep).apply(mv) }
        #expect(error?.stepNumber == k, "\(what)")
        #expect(error?.undoFailures.isEmpty == true, "\(what): \(error?.undoFailures ?? [])")
        expectSame(w.kernel.snapshot(), before, what)
        #expect(w.recordFiles() == records, "\(what)")
    }

    @Test("drift: renamed inside the container, moved to the host, deleted, mode changed — each planned and repaired")
    func driftRepaired() throws {
        let w = World(), mv = try layer(Self.yaml)
        try w.engine().apply(mv)
        let k = w.kernel
        let drifts: [(String, () -> Void)] = [
            ("renamed", { k.update(k.id(of: "eth1", in: .named("app"))!) { $0.name = "foo" } }),
            ("moved to the host", { k.move(k.id(of: "eth1", in: .named("app"))!, to: k.host, name: "eth1") }),
            ("deleted", { k.removeLink(k.id(of: "eth1", in: .named("app"))!) }),
            ("mode changed", { k.update(k.id(of: "eth1", in: .named("app"))!) { $0.macvlanMode = .vepa } }),
        ]
        for (what, drift) in drifts {
            drift()
            #expect(try !w.engine().plan(mv).converged, "\(what)")
            try w.engine().apply(mv)
            #expect(try w.engine().plan(mv).converged, "\(what)")
            let eth1 = try #require(macvlan(k, "eth1"), "\(what)")
            #expect(eth1.parent == "eth0" && eth1.mode == .bridge, "\(what)")
            #expect(k.host.links.values.filter { $0.kind == "macvlan" }.isEmpty, "\(what): a macvlan left in the host")
            #expect(k.namespaces[k.resolve(.named("app"))!]!.addresses.contains { $0.prefix == IPPrefix("192.168.122.50/24")! }, "\(what)")
        }
    }

    @Test("a missing parent, a parent MTU too small and a foreign link by that name are refused with their path, nothing touched")
    func refusedBeforeAnyChange() throws {
        let cases: [(String, String, String, (FakeKernel) -> Void)] = [
            ("parent: eth9", "containers[0].interfaces[0].macvlan.parent", "parent eth9 does not exist in the host namespace", { _ in }),
            ("parent: eth0, mtu: 9000", "containers[0].interfaces[0].mtu", "above its parent eth0's MTU 1500", { _ in }),
            ("parent: eth0", "containers[0].interfaces[0].name", "eth1 already exists", { k in
                k.addNamespace("app"); k.addLink("eth1", in: .named("app"), kind: "dummy")
            }),
        ]
        for (decl, path, message, arm) in cases {
            let yaml = """
                version: 1
                name: mv
                containers:
                  - name: app
                    netns: app
                    interfaces: [{name: eth1, macvlan: {\(decl)}, addresses: [192.168.122.50/24]}]
                """
            let field = decl.contains("mtu") ? decl.replacingOccurrences(of: ", mtu: 9000", with: "") : decl
            let text = decl.contains("mtu") ? yaml.replacingOccurrences(of: "{\(decl)}", with: "{\(field)}, mtu: 9000") : yaml
            let w = World()
            arm(w.kernel)
            let before = w.kernel.snapshot()
            w.kernel.log = []
            let error = #expect(throws: PlanErrors.self, "\(decl)") { try w.engine().apply(try layer(text)) }
            let found = error?.errors.first { $0.path == path }
            #expect(found?.message.contains(message) == true, "\(decl): \(error.map { "\($0)" } ?? "no error")")
            #expect(found?.line != nil, "\(decl): no line")
            #expect(w.kernel.log.isEmpty, "\(decl): \(w.kernel.log)")
            expectSame(w.kernel.snapshot(), before, decl)
        }
    }

    @Test("destroy removes the owner's macvlans and leaves a foreign macvlan on the same parent")
    func destroyLeavesForeignMacvlan() throws {
        let w = World(), mv = try layer(Self.yaml)
        try w.engine().apply(mv)
        let k = w.kernel
        let other = k.addNamespace("other")
        _ = other
        try k.links(in: .host).createMacvlan(MacvlanRequest(name: "fm0", parentIndex: k.host.link(named: "eth0")!.index,
                                                            mode: .bridge, namespace: .named("other"), mac: k.randomMAC(), mtu: nil))
        try w.engine().destroy(mv.owner)
        #expect(macvlan(k, "eth1") == nil && k.resolve(.named("app")) == nil)
        let foreign = try #require(macvlan(k, "fm0", in: "other"))
        #expect(foreign.parent == "eth0" && foreign.alias == nil)
    }

    @Test("destroy of a macvlan in a namespace plumb did not create deletes that macvlan only")
    func destroyInForeignNamespace() throws {
        let w = World(), k = w.kernel
        k.addNamespace("app")
        k.addLink("keep0", in: .named("app"), kind: "dummy")
        let mv = try layer(Self.yaml)
        try w.engine().apply(mv)
        try w.engine().destroy(mv.owner)
        #expect(macvlan(k, "eth1") == nil && macvlan(k, "eth2") == nil)
        #expect(k.id(of: "keep0", in: .named("app")) != nil)
    }

    @Test("destroying the owner of another owner's macvlan parent is refused before any change")
    func parentInUseRefused() throws {
        let w = World()
        let bridge = try layer("version: 1\nname: net\nbridges: [{name: br9, addresses: [10.9.0.1/24]}]\n", name: "net")
        let child = try layer("""
            version: 1
            name: child
            containers:
              - {name: c, netns: c, interfaces: [{name: eth1, macvlan: {parent: br9}, addresses: [10.9.0.5/24]}]}
            """, name: "child")
        try w.engine().apply(bridge)
        try w.engine().apply(child)
        let before = w.kernel.snapshot(), records = w.recordFiles()
        let error = #expect(throws: ParentInUseError.self) { try w.engine().destroy(bridge.owner) }
        #expect(error?.parent == "br9")
        #expect("\(error!)".contains("macvlan eth1 in netns c of manifest child"))
        expectSame(w.kernel.snapshot(), before, "after the refused destroy")
        #expect(w.recordFiles() == records)
        try w.engine().destroy(child.owner)
        try w.engine().destroy(bridge.owner)
        #expect(w.kernel.host.link(named: "br9") == nil)
    }
}
