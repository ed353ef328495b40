import PlumbEngine
import PlumbTypes
import Testing

/// A VF that existed before plumb moved it into a container comes home as it was: under
/// its name, without plumb's mark, with its MTU. Only the MAC it adopted from its PF
/// stays: the kernel keeps a netdev's MAC across namespaces, and igb refuses a VF-side
/// MAC other than the PF-assigned one while that is set (the PF side is restored after).
@Suite("A VF comes home as it was")
struct VFHomecomingTests {
    let mixed: Layer
    init() throws { mixed = try layer(Manifests.mixed) }

    /// VF 0's netdev on the standard host with 2 VFs enabled before plumb.
    static let vf0 = "eth2"
    static let adopted = MACAddress("02:00:00:00:00:10")!

    /// Checks the VF is home with, at most, the adopted MAC (`adopted`: it must have it),
    /// then compares everything else with `before`.
    func expectHome(_ w: World, _ before: FakeSnapshot, original: FakeLink, adopted: Bool?, _ what: String) {
        let home = w.kernel.host.link(named: Self.vf0)
        #expect(home?.vf == original.vf, "\(what)")
        if let adopted { #expect((home?.mac == Self.adopted) == adopted, "\(what)") }
        if home?.mac == Self.adopted { w.kernel.edit(Self.vf0) { $0.mac = original.mac } }
        expectSame(w.kernel.snapshot(), before, what)
    }

    @Test("destroy returns the VF under its name without plumb's mark or MTU")
    func destroy() throws {
        let w = World(.standard(numVFs: 2))
        let before = w.kernel.snapshot(), original = try #require(w.kernel.host.link(named: Self.vf0))
        try w.engine().apply(mixed)
        #expect(w.kernel.host.link(named: Self.vf0) == nil)
        try w.engine().destroy(mixed.owner)
        expectHome(w, before, original: original, adopted: true, "after destroy")
    }

    @Test("with VFs enabled before, a fault at any step or a refusal of any kernel operation is undone (the VF's settings too)")
    func rollback() throws {
        let reference = try StepOperations(mixed) { .standard(numVFs: 2) }
        let move = try #require(reference.entries.firstIndex { $0.step.action.name == "move-vf" })
        for (i, e) in reference.entries.enumerated() {
            let faults: [(String, (FakeKernel) -> Void, Int?)] = [("faultStep \(i + 1)", { _ in }, i + 1)]
                + e.operations.enumerated().map { n, op in
                    ("\(op.name) (operation \(n + 1)) refused at step \(i + 1)", { $0.fail(op.name, with: .noBufferSpace, skip: op.skip) }, nil)
                }
            for (what, arm, faultStep) in faults {
                let w = World(.standard(numVFs: 2))
                let before = w.kernel.snapshot(), original = try #require(w.kernel.host.link(named: Self.vf0))
                arm(w.kernel)
                guard (try? w.engine(faultStep: faultStep).apply(mixed)) == nil else { continue }   // a tolerated refusal
                expectHome(w, before, original: original, adopted: i < move ? false : (i > move ? true : nil), what)
                #expect(w.recordFiles().isEmpty, "\(what)")
            }
        }
    }

    @Test("a move whose marking the kernel refused is undone: the unmarked VF is known by its PCI address and comes home")
    func markRefused() throws {
        let reference = try StepOperations(mixed) { .standard(numVFs: 2) }
        let move = try #require(reference.entries.first { $0.step.action.name == "move-vf" })
        #expect(move.operations.map(\.name).prefix(2) == ["moveLink", "setLink"])
        let w = World(.standard(numVFs: 2))
        let before = w.kernel.snapshot()
        w.kernel.fail("setLink", with: .noBufferSpace, skip: move.operations[1].skip)
        let error = #expect(throws: ApplyError.self) { try w.engine().apply(mixed) }
        #expect(error?.step.action.name == "move-vf")
        #expect(error?.undoFailures.isEmpty == true, "\(error?.undoFailures ?? [])")
        expectSame(w.kernel.snapshot(), before, "after the refused mark")
        #expect(w.recordFiles().isEmpty)
    }
}

/// The container's namespace died before destroy: the kernel already put the VF back in
/// the host, under its container name (or `devN` when that clashes), still configured.
@Suite("A VF whose namespace died first comes home")
struct VFOrphanTests {
    let mixed: Layer
    init() throws { mixed = try layer(Manifests.mixed) }

    @Test("ip netns del behind plumb's back: destroy renames the VF back, restores its MTU, alias and PF-side settings")
    func namespaceDeleted() throws {
        let w = World(.standard(numVFs: 2))
        let before = w.kernel.snapshot(), original = try #require(w.kernel.host.link(named: VFHomecomingTests.vf0))
        try w.engine().apply(mixed)
        w.kernel.removeNamespace("c1")
        let stray = try #require(w.kernel.host.links.values.first { $0.vf == original.vf && $0.name != original.name })
        let plan = try w.engine().destroy(mixed.owner)
        #expect(plan.steps.contains { $0.action.name == "return-vf" }, "\(plan.steps.map(\.action.name))")
        let home = try #require(w.kernel.host.link(named: VFHomecomingTests.vf0), "VF left as \(stray.name)")
        #expect(home.vf == original.vf)
        #expect(home.mtu == original.mtu)
        #expect(home.alias == original.alias)
        if home.mac != original.mac { w.kernel.edit(VFHomecomingTests.vf0) { $0.mac = original.mac } }
        expectSame(w.kernel.snapshot(), before, "after destroy")
    }
}

extension VFOrphanTests {
    static let pidVF = """
        version: 1
        name: pidvf
        nics:
          - name: eth1
            sriov: {numVFs: 2, vfs: [{index: 0, vlan: 12, mac: "02:00:00:00:00:10", trust: true}]}
        containers:
          - name: c1
            netns: {pid: 4242}
            interfaces: [{name: eth1, vf: {nic: eth1, index: 0}, mtu: 1400}]
        """

    /// Another manifest that takes VF 0 into its own namespace, with the same settings.
    static let other = """
        version: 1
        name: other
        nics:
          - name: eth1
            sriov: {numVFs: 2, vfs: [{index: 0, vlan: 12, mac: "02:00:00:00:00:10", trust: true}]}
        containers:
          - name: c2
            netns: c2
            interfaces: [{name: net0, vf: {nic: eth1, index: 0}}]
        """

    @Test("a container process killed (its pid namespace gone): destroy brings the VF home")
    func processKilled() throws {
        let w = World(.standard(numVFs: 2))
        let before = w.kernel.snapshot(), original = try #require(w.kernel.host.link(named: VFHomecomingTests.vf0))
        w.kernel.addProcess(4242)
        try w.engine().apply(try layer(Self.pidVF))
        #expect(w.kernel.host.link(named: VFHomecomingTests.vf0) == nil)
        w.kernel.killProcess(4242)
        #expect(w.kernel.host.links.values.contains { $0.vf == original.vf && $0.name == "eth1" } == false)   // eth1 is the PF: a devN
        try w.engine().destroy(try layer(Self.pidVF).owner)
        let home = try #require(w.kernel.host.link(named: VFHomecomingTests.vf0))
        #expect(home.vf == original.vf && home.mtu == original.mtu && home.alias == original.alias)
        if home.mac != original.mac { w.kernel.edit(VFHomecomingTests.vf0) { $0.mac = original.mac } }
        expectSame(w.kernel.snapshot(), before, "after destroy")
        #expect(w.recordFiles().isEmpty)
    }

    @Test("its old name taken meanwhile: the VF keeps the kernel's name, its settings come back, the plan says why")
    func nameTaken() throws {
        let w = World(.standard(numVFs: 2))
        let original = try #require(w.kernel.host.link(named: VFHomecomingTests.vf0))
        try w.engine().apply(mixed)
        w.kernel.removeNamespace("c1")
        w.kernel.addLink(VFHomecomingTests.vf0, kind: "dummy")
        let plan = try w.engine().destroy(mixed.owner)
        #expect(plan.notes.contains { $0.contains("its old name \(VFHomecomingTests.vf0) is taken") }, "\(plan.notes)")
        let home = try #require(w.kernel.host.links.values.first { $0.vf == original.vf })
        #expect(home.name != VFHomecomingTests.vf0)
        #expect(home.mtu == original.mtu && home.alias == original.alias)
        #expect(w.kernel.pfs["eth1"]?.settings.first { $0.index == 0 }?.vlan.id == 0)
    }

    @Test("a VF another manifest took after it came home is never touched by the first owner's destroy")
    func takenByAnother() throws {
        let w = World(.standard(numVFs: 2))
        let original = w.kernel.pfs["eth1"]?.settings.first { $0.index == 0 }
        let vf0 = try #require(w.kernel.host.link(named: VFHomecomingTests.vf0))
        try w.engine().apply(mixed)
        w.kernel.removeNamespace("c1")
        let other = try layer(Self.other)
        try w.engine().apply(other)
        let taken = try #require(w.kernel.resolve(.named("c2")).flatMap { w.kernel.namespaces[$0]?.link(named: "net0") })
        let settings = w.kernel.pfs["eth1"]?.settings.first { $0.index == 0 }
        #expect(settings?.vlan.id == 12)
        let plan = try w.engine().destroy(mixed.owner)
        let touchesVF0 = plan.steps.contains { step in
            switch step.action {
            case .returnVF(let r): return r.vf == 0
            case .setVF(let u): return u.vf == 0
            default: return false
            }
        }
        #expect(!touchesVF0, "\(lines(plan))")
        #expect(w.kernel.resolve(.named("c2")).flatMap { w.kernel.namespaces[$0]?.link(named: "net0") } == taken)
        #expect(w.kernel.pfs["eth1"]?.settings.first { $0.index == 0 } == settings)
        #expect(try w.engine().verify(other).ok)
        // The originals passed to the other owner: its destroy puts back what was there before either.
        try w.engine().destroy(other.owner)
        #expect(w.kernel.pfs["eth1"]?.settings.first { $0.index == 0 } == original)
        // …and the VF's own name, MTU and alias from before the first owner moved it.
        let home = try #require(w.kernel.host.link(named: VFHomecomingTests.vf0))
        #expect(home.vf == vf0.vf && home.mtu == vf0.mtu && home.alias == vf0.alias)
        #expect(w.recordFiles().isEmpty)
    }
}
