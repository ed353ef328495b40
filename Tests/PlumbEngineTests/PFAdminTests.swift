import PlumbEngine
import PlumbNetlink
import PlumbTypes
import Testing

/// A PF that is administratively down — as at boot — is brought up before its VFs are made
/// (igb gives VFs made under a down PF no link), recorded as raised, taken down again by
/// a rollback and by destroy; a PF that is up is never touched.
@Suite("The PF's admin state")
struct PFAdminTests {
    let mixed: Layer
    init() throws { mixed = try layer(Manifests.mixed) }

    /// The standard host at boot: eth1 (the igb PF) down, no VFs.
    static func atBoot(numVFs: Int = 0) -> FakeKernel {
        let k = FakeKernel.standard(numVFs: numVFs)
        k.edit("eth1") { $0.up = false }
        k.log = []
        return k
    }

    func pfUp(_ w: World) -> Bool? { w.kernel.host.link(named: "eth1")?.up }

    @Test("a down PF is brought up first, before the VF count and settings; verify passes; the record says plumb raised it")
    func raisesDownPF() throws {
        let w = World(Self.atBoot())
        let plan = lines(try w.engine().plan(mixed))
        let raise = try #require(plan.firstIndex { $0.hasPrefix("~ ip link set dev eth1 up") })
        let count = try #require(plan.firstIndex { $0.hasPrefix("~ echo 2 > /sys/class/net/eth1/device/sriov_numvfs") })
        #expect(raise < count)
        #expect(plan[raise] == "~ ip link set dev eth1 up   # eth1 is down: its VFs would get no link")
        #expect(plan.filter { $0.contains("link set dev eth1 up") }.count == 1, "raised once, though nics and a container both need it")
        try w.engine().apply(mixed)
        #expect(pfUp(w) == true)
        let report = try w.engine().verify(mixed)
        let c1 = try #require(report.containers.first { $0.name == "c1" })
        #expect(c1.checks.first { $0.name == "link-up" }?.status == .pass, "\(c1.checks)")
        #expect(c1.checks.first { $0.name == "pf-up" }?.status == .pass)
        let raised = try #require(w.record(mixed)?.raisedPFs)
        #expect(raised.map(\.pf) == ["eth1"] && raised.first?.up == Kept(original: false, applied: true))
        #expect(raised.first?.link != nil)
        #expect(try w.engine().plan(mixed).converged)
    }

    @Test("an up PF is never touched: no step in apply or destroy, and it stays up")
    func upPFUntouched() throws {
        let w = World(.standard())
        let applied = try w.engine().apply(mixed)
        #expect(!applied.steps.contains { $0.action.name == "set-pf-admin" })
        #expect(try w.record(mixed)?.pfAdmin == nil)
        let destroyed = try w.engine().destroy(mixed.owner)
        #expect(!destroyed.steps.contains { $0.action.name == "set-pf-admin" })
        #expect(pfUp(w) == true)
    }

    @Test("destroy takes the PF down again, after the VFs are gone: the kernel as it was at boot")
    func destroyRestores() throws {
        let w = World(Self.atBoot())
        let before = w.kernel.snapshot()
        try w.engine().apply(mixed)
        let plan = lines(try w.engine().destroy(mixed.owner))
        #expect(plan.last == "~ ip link set dev eth1 down   # restore: plumb brought it up")
        #expect(pfUp(w) == false)
        expectSame(w.kernel.snapshot(), before, "after destroy")
        #expect(w.recordFiles().isEmpty)
    }

    @Test("drift: a PF plumb raised and someone took down is planned up again; one someone took down is left down by destroy")
    func drift() throws {
        let w = World(Self.atBoot())
        try w.engine().apply(mixed)
        w.kernel.edit("eth1") { $0.up = false }
        #expect(try w.engine().verify(mixed).containers.first { $0.name == "c1" }?.checks.first { $0.name == "pf-up" }?.status == .fail)
        #expect(lines(try w.engine().plan(mixed)) == ["~ ip link set dev eth1 up   # eth1 is down: its VFs would get no link"])
        try w.engine().apply(mixed)
        #expect(pfUp(w) == true)
        #expect(try w.engine().plan(mixed).converged)
        #expect(try w.record(mixed)?.raisedPFs.first?.up == Kept(original: false, applied: true))
        w.kernel.edit("eth1") { $0.up = false }
        let plan = lines(try w.engine().destroy(mixed.owner))
        #expect(!plan.contains { $0.hasPrefix("~ ip link set dev eth1 ") }, "\(plan)")
        #expect(pfUp(w) == false)
    }

    @Test("a fault at any step, or a refusal of any kernel operation, leaves the PF down and no record")
    func rollback() throws {
        let reference = try StepOperations(mixed) { Self.atBoot() }
        #expect(reference.entries.first { $0.step.action.name == "set-pf-admin" }?.operations.isEmpty == false)
        for (i, e) in reference.entries.enumerated() {
            let faults: [(String, (FakeKernel) -> Void, Int?)] = [("faultStep \(i + 1)", { _ in }, i + 1)]
                + e.operations.enumerated().map { n, op in
                    ("\(op.name) (operation \(n + 1)) refused at step \(i + 1) (\(e.step.action.name))",
                     { $0.fail(op.name, with: .noBufferSpace, skip: op.skip) }, nil)
                }
            for (what, arm, faultStep) in faults {
                let w = World(Self.atBoot())
                let before = w.kernel.snapshot()
                arm(w.kernel)
                guard (try? w.engine(faultStep: faultStep).apply(mixed)) == nil else {
                    #expect(try w.engine().plan(mixed).converged, "\(what): tolerated, so the apply must be complete")
                    continue
                }
                #expect(pfUp(w) == false, "\(what)")
                expectSame(w.kernel.snapshot(), before, what)
                #expect(w.recordFiles().isEmpty, "\(what)")
            }
        }
    }

    /// A manifest that moves VF `index` of eth1 (enabled by someone else) into a container.
    func vfUser(_ name: String, index: Int) throws -> Layer {
        try layer("""
            version: 1
            name: \(name)
            nics: [{name: eth1}]
            containers: [{name: c\(index), netns: c\(index), interfaces: [{name: eth1, vf: {nic: eth1, index: \(index)}}]}]
            """)
    }

    @Test("another owner using the PF's VFs keeps it up and inherits the original; the last one out takes it down")
    func sharedPF() throws {
        let w = World(Self.atBoot(numVFs: 2))
        let first = try vfUser("first", index: 0), second = try vfUser("second", index: 1)
        #expect(lines(try w.engine().plan(first)).first == "~ ip link set dev eth1 up   # eth1 is down: its VFs would get no link",
                "a container's VF needs its PF up too")
        try w.engine().apply(first)
        try w.engine().apply(second)
        #expect(try w.record(second)?.pfAdmin == nil, "the PF was up already when the second applied")
        let destroyed = try w.engine().destroy(first.owner)
        #expect(destroyed.notes.contains { $0.hasPrefix("eth1 stays up: ") }, "\(destroyed.notes)")
        #expect(pfUp(w) == true)
        #expect(try w.record(second)?.raisedPFs.first?.up == Kept(original: false, applied: true))
        try w.engine().destroy(second.owner)
        #expect(pfUp(w) == false)
    }
}
