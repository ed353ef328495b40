import PlumbEngine
import PlumbManifest
import PlumbTypes
import Testing

/// `nics[].sriov.eswitchMode` through devlink: planned before the VF count, applied,
/// verified with its representors, recorded by the devlink handle, rolled back, restored
/// by destroy only while it is still what Plumb set; a driver without an eswitch (igb)
/// is refused before any change, naming the driver.
@Suite("eswitch mode")
struct EswitchTests {
    static let handle = DevlinkHandle(bus: "pci", device: "0000:01:00.0")

    /// The standard host, its PF given a devlink eswitch in legacy mode (as mlx5 or netdevsim have).
    static func withEswitch() -> FakeKernel {
        let k = FakeKernel.standard()
        k.pfs["eth1"]?.driver = "mlx5_core"
        k.eswitches["eth1"] = FakeEswitchDevice(handle: handle)
        return k
    }

    static func manifest(_ mode: String, vfs: String = "") -> String {
        "version: 1\nname: sw\nnics:\n  - name: eth1\n    sriov:\n      numVFs: 2\n      eswitchMode: \(mode)\n\(vfs)"
    }

    @Test("switchdev: planned before the VF count, applied, representors verified, re-plan empty, destroy puts legacy back")
    func switchdevLifecycle() throws {
        let w = World(Self.withEswitch())
        let before = w.kernel.snapshot()
        let l = try layer(Self.manifest("switchdev"))
        let plan = lines(try w.engine().plan(l))
        let mode = try #require(plan.firstIndex { $0.hasPrefix("~ devlink dev eswitch set pci/0000:01:00.0 mode switchdev") }, "\(plan)")
        let count = try #require(plan.firstIndex { $0.contains("sriov_numvfs") })
        #expect(mode < count)
        try w.engine().apply(l)
        #expect(w.kernel.eswitches["eth1"]?.mode == .switchdev)
        let record = try #require(try w.record(l)?.eswitches.first)
        #expect(record.device == Self.handle && record.mode == Kept(original: .legacy, applied: .switchdev))
        let report = try w.engine().verify(l)
        #expect(report.host.checks.first { $0.name == "eswitch" }?.status == .pass)
        let reps = try #require(report.host.checks.first { $0.name == "representors" })
        #expect(reps.status == .pass && reps.observed == "eth1r0 eth1r1", "\(reps)")
        #expect(try w.engine().plan(l).converged)
        try w.engine().destroy(l.owner)
        #expect(w.kernel.snapshot() == before)
    }

    @Test("drift: a mode changed behind plumb's back is planned again and fails verify")
    func drift() throws {
        let w = World(Self.withEswitch())
        let l = try layer(Self.manifest("switchdev"))
        try w.engine().apply(l)
        w.kernel.eswitches["eth1"]?.mode = .legacy
        let report = try w.engine().verify(l)
        let check = try #require(report.host.checks.first { $0.name == "eswitch" })
        #expect(check.status == .fail && check.observed.hasPrefix("legacy"))
        #expect(lines(try w.engine().plan(l)).contains { $0.hasPrefix("~ devlink dev eswitch set pci/0000:01:00.0 mode switchdev") })
    }

    @Test("a failure after the mode change rolls it back: the kernel as before")
    func rollback() throws {
        let w = World(Self.withEswitch())
        let before = w.kernel.snapshot()
        w.kernel.fail("setNumVFs")
        #expect(throws: (any Error).self) { try w.engine().apply(try layer(Self.manifest("switchdev"))) }
        #expect(w.kernel.eswitches["eth1"]?.mode == .legacy)
        #expect(w.kernel.snapshot() == before)
    }

    @Test("igb has no eswitch: the plan refuses, naming the driver and the field, and nothing changes")
    func noEswitch() throws {
        let w = World(.standard())
        let before = w.kernel.snapshot()
        let l = try layer(Self.manifest("switchdev"))
        let e = try #require(throws: PlanErrors.self) { try w.engine().plan(l) }
        let text = "\(e)"
        #expect(text.contains("nics[0].sriov.eswitchMode") && text.contains("driver igb") && text.contains("has no eswitch"), "\(text)")
        #expect(throws: (any Error).self) { try w.engine().apply(l) }
        #expect(w.kernel.snapshot() == before && w.kernel.log.isEmpty)
    }

    @Test("legacy declared on a PF in legacy mode: no step, no record entry")
    func alreadyThere() throws {
        let w = World(Self.withEswitch())
        let l = try layer(Self.manifest("legacy"))
        #expect(!lines(try w.engine().plan(l)).contains { $0.contains("devlink") })
        try w.engine().apply(l)
        #expect(try w.record(l)?.eswitch == nil)
    }

    @Test("destroy sends nothing when someone already put the original mode back")
    func destroyLeavesForeignChange() throws {
        let w = World(Self.withEswitch())
        let l = try layer(Self.manifest("switchdev"))
        try w.engine().apply(l)
        try w.kernel.setNumVFs("eth1", 0)   // someone else tears down and re-modes the PF
        w.kernel.eswitches["eth1"]?.mode = .legacy
        w.kernel.log = []
        let plan = try w.engine().destroy(l.owner)
        #expect(!w.kernel.log.contains("setEswitchMode"), "\(plan.steps)")
        #expect(w.kernel.eswitches["eth1"]?.mode == .legacy)
        #expect(try w.record(l) == nil, "the record is gone with the owner")
    }

    @Test("a devlink device that is another one now (new handle under the PF's name) is never restored")
    func otherDevice() throws {
        let w = World(Self.withEswitch())
        let l = try layer(Self.manifest("switchdev"))
        try w.engine().apply(l)
        w.kernel.eswitches["eth1"] = FakeEswitchDevice(handle: DevlinkHandle(bus: "pci", device: "0000:02:00.0"), mode: .switchdev)
        w.kernel.log = []
        let plan = try w.engine().destroy(l.owner)
        #expect(!w.kernel.log.contains("setEswitchMode"))
        #expect(w.kernel.eswitches["eth1"]?.mode == .switchdev)
        #expect(plan.notes.contains { $0.contains("no longer the devlink device pci/0000:01:00.0") }, "\(plan.notes)")
    }

    @Test("switchdev with a PF-side VF rate is refused: that rate lives on the representor")
    func switchdevRate() throws {
        let w = World(Self.withEswitch())
        let l = try layer(Self.manifest("switchdev", vfs: "      vfs: [{index: 0, maxTxRate: 100}]\n"))
        let e = try #require(throws: PlanErrors.self) { try w.engine().plan(l) }
        #expect("\(e)".contains("representor"))
    }
}
