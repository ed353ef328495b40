@testable import PlumbEngine
import PlumbNetlink
import PlumbTypes
import Testing

/// Full coalescing on the fake kernel: eth1 reports adaptive rx/tx, rx/tx usecs and frames,
/// but none of the `-irq` variants (as many drivers do), like the kernel's COALESCE_GET.
@Suite("Planner: full coalescing")
struct CoalescePlannerTests {
    static let reported: Ethtool.Coalesce = {
        var c = Ethtool.Coalesce(adaptiveRx: false, adaptiveTx: false, rxUsecs: 3, rxFrames: 0, txUsecs: 3, txFrames: 0)
        c.txFramesIrq = 0
        return c
    }()

    static func world() -> World {
        let w = World()
        w.kernel.nics["eth1"]!.coalesce = reported
        return w
    }

    static func layer(_ coalesce: String) throws -> Layer {
        try PlumbEngineTests.layer("version: 1\nname: co\nnics:\n  - name: eth1\n    tuning: {coalesce: \(coalesce)}\n")
    }

    @Test("tx as well as rx, adaptive tx, an irq variant: one ethtool -C; applied, re-planned empty, verified, drift repaired, restored")
    func lifecycle() throws {
        let w = Self.world()
        let l = try Self.layer("{adaptiveTx: true, txUsecs: 100, txFrames: 32, rxUsecs: 50, txFramesIrq: 4}")
        #expect(lines(try w.engine().plan(l)) == ["~ ethtool -C eth1 adaptive-tx on rx-usecs 50 tx-usecs 100 tx-frames 32 tx-frames-irq 4"])
        try w.engine().apply(l)
        let c = try #require(w.kernel.nics["eth1"]!.coalesce)
        #expect(c.adaptiveTx == true && c.rxUsecs == 50 && c.txUsecs == 100 && c.txFrames == 32 && c.txFramesIrq == 4)
        #expect(c.adaptiveRx == false && c.rxFrames == 0)
        #expect(try w.engine().plan(l).steps.isEmpty)
        let check = try w.engine().verify(l).nics.first?.checks.first { $0.name == "coalesce" }
        #expect(check?.status == .pass, "\(String(describing: check))")
        #expect(check?.expected == "adaptive-tx on rx-usecs 50 tx-usecs 100 tx-frames 32 tx-frames-irq 4")

        w.kernel.nics["eth1"]!.coalesce!.txUsecs = 7
        #expect(try w.engine().verify(l).nics.first?.checks.first { $0.name == "coalesce" }?.status == .fail)
        #expect(lines(try w.engine().plan(l)) == ["~ ethtool -C eth1 tx-usecs 100"])
        try w.engine().apply(l)

        try w.engine().destroy(l.owner)
        #expect(w.kernel.nics["eth1"]!.coalesce == Self.reported)
    }

    @Test("a parameter the driver does not report is refused, naming it, the driver and what it reports; nothing changes")
    func unsupportedParameter() throws {
        let w = Self.world()
        let text = (#expect(throws: PlanErrors.self) { try w.engine().apply(try Self.layer("{rxUsecs: 50, rxUsecsIrq: 10}")) })?.description ?? ""
        #expect(text.contains("nics[0].tuning.coalesce.rxUsecsIrq: eth1 (driver igb) does not support rx-usecs-irq "
                              + "(ETHTOOL_MSG_COALESCE_GET does not report it); it reports: adaptive-rx off adaptive-tx off rx-usecs 3 rx-frames 0 "
                              + "tx-usecs 3 tx-frames 0 tx-frames-irq 0"), "\(text)")
        #expect(w.kernel.nics["eth1"]!.coalesce == Self.reported)
    }

    @Test("the kernel refusing one parameter refuses the message: the apply fails naming ETHTOOL_MSG_COALESCE_SET, nothing changed")
    func kernelRefusal() throws {
        let w = Self.world()
        let start = w.kernel.snapshot()
        w.kernel.fail("setCoalesce", with: .invalid)
        #expect(throws: ApplyError.self) { try w.engine().apply(try Self.layer("{txUsecs: 100}")) }
        #expect(w.kernel.nics["eth1"]!.coalesce == Self.reported)
        expectSame(w.kernel.snapshot(), start, "after the failed apply")
    }

    @Test("a record from before full coalescing (adaptiveRx/rxUsecs fields) still restores")
    func olderRecord() {
        var o = NICOriginals(nic: "eth1")
        o.adaptiveRx = Kept(original: false, applied: true)
        o.rxUsecs = Kept(original: 3, applied: 50)
        #expect(o.coalesceOriginals == [.adaptiveRx: Kept(original: 0, applied: 1), .rxUsecs: Kept(original: 3, applied: 50)])
    }
}
