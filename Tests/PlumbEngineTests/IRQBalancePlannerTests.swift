@testable import PlumbEngine
import PlumbSystem
import PlumbTypes
import Testing

/// `irqAffinity` while irqbalance runs (issue 16): placed only when irqbalance bans the
/// NIC's queue interrupts; otherwise refused, saying how to choose. eth1 has irq 40-43.
@Suite("Planner and verify: irqAffinity beside irqbalance")
struct IRQBalancePlannerTests {
    static func world(_ ib: IRQBalanceProcess?) -> World {
        let w = World()
        w.kernel.irqbalance = ib
        return w
    }

    static let spread = try! layer("version: 1\nname: irq\nnics:\n  - name: eth1\n    tuning: {irqAffinity: spread}\n")

    @Test("irqbalance banning nothing: refused with the path, the IRQs it would move and the ways out; nothing changes")
    func refused() throws {
        let w = Self.world(IRQBalanceProcess(pid: 812))
        let before = w.kernel.irqAffinity
        let e = #expect(throws: PlanErrors.self) { try w.engine().apply(Self.spread) }
        let text = e?.description ?? ""
        #expect(text.hasPrefix("nics[0].tuning.irqAffinity: irqbalance (pid 812) is running and rewrites interrupt affinity at each pass: "
                              + "it would undo the placement of irq 40, 41, 42, 43 of eth1"), "\(text)")
        #expect(text.contains("IRQBALANCE_ARGS=\"--banirq=40 --banirq=41 --banirq=42 --banirq=43\" in /etc/default/irqbalance"), "\(text)")
        #expect(text.contains("systemctl disable --now irqbalance"), "\(text)")
        #expect(text.hasSuffix("(line 5)"), "\(text)")
        #expect(w.kernel.irqAffinity == before)
    }

    @Test("some banned: the refusal names only the ones it would still move")
    func partlyBanned() {
        let w = Self.world(IRQBalanceProcess(pid: 812, bannedIRQs: [40, 41]))
        let text = (#expect(throws: PlanErrors.self) { try w.engine().plan(Self.spread) })?.description ?? ""
        #expect(text.contains("it would undo the placement of irq 42, 43 of eth1"), "\(text)")
    }

    @Test("all banned: placed, the plan says irqbalance leaves them alone, verify passes its irqbalance row")
    func banned() throws {
        let w = Self.world(IRQBalanceProcess(pid: 812, bannedIRQs: [40, 41, 42, 43]))
        let p = try w.engine().plan(Self.spread)
        #expect(p.steps.count == 4)
        #expect(p.notes.contains("irqbalance (pid 812) runs and bans irq 40, 41, 42, 43 of eth1 (--banirq): it leaves their placement alone"))
        try w.engine().apply(Self.spread)
        let row = try w.engine().verify(Self.spread).nics.first?.checks.first { $0.name == "irqbalance" }
        #expect(row?.status == .pass && row?.observed == "irqbalance (pid 812) bans irq 40 41 42 43", "\(String(describing: row))")
    }

    @Test("irqbalance restarted without the bans after apply: verify fails, naming the IRQs it will move; plan refuses")
    func restartedWithoutBans() throws {
        let w = Self.world(nil)
        try w.engine().apply(Self.spread)
        #expect(try w.engine().verify(Self.spread).nics.first?.checks.first { $0.name == "irqbalance" }?.observed == "not running")
        w.kernel.irqbalance = IRQBalanceProcess(pid: 901, bannedIRQs: [40])
        let report = try w.engine().verify(Self.spread)
        let row = report.nics.first?.checks.first { $0.name == "irqbalance" }
        #expect(row?.status == .fail && row?.observed == "irqbalance (pid 901) does not ban irq 41 42 43: it will move them", "\(String(describing: row))")
        #expect(!report.ok)
        #expect(throws: PlanErrors.self) { try w.engine().plan(Self.spread) }
    }

    @Test("a policy script: placed, the plan says its bans cannot be seen; verify warns")
    func policyScript() throws {
        let w = Self.world(IRQBalanceProcess(pid: 812, policyScript: "/etc/irqbalance/ban-eth1"))
        let p = try w.engine().plan(Self.spread)
        #expect(p.steps.count == 4)
        #expect(p.notes.contains { $0.contains("runs with the policy script /etc/irqbalance/ban-eth1: plumb cannot see whether it bans irq 40, 41, 42, 43 of eth1") })
        try w.engine().apply(Self.spread)
        #expect(try w.engine().verify(Self.spread).nics.first?.checks.first { $0.name == "irqbalance" }?.status == .warn)
    }

    @Test("without irqAffinity, a running irqbalance changes nothing in the plan; verify reports it")
    func notDeclared() throws {
        let w = Self.world(IRQBalanceProcess(pid: 812))
        let l = try layer("version: 1\nname: irq\nnics:\n  - name: eth1\n    tuning: {rings: {rx: 1024}}\n")
        #expect(try w.engine().plan(l).notes.isEmpty)
        try w.engine().apply(l)
        let row = try w.engine().verify(l).nics.first?.checks.first { $0.name == "irqbalance" }
        #expect(row?.status == .pass && row?.observed == "irqbalance (pid 812) places the queue interrupts", "\(String(describing: row))")
    }
}
