import Testing
import PlumbTypes
@testable import PlumbSystem

@Suite("IRQ spread planning")
struct SpreadTests {
    @Test("one CPU per queue when there are as many CPUs as queues")
    func oneEach() {
        let plan = IRQs.spread([125, 126, 127, 128], over: [0, 1, 2, 3])
        #expect(plan.map(\.description) == ["irq 125 → 0", "irq 126 → 1", "irq 127 → 2", "irq 128 → 3"])
    }

    @Test("wraps round-robin when queues outnumber CPUs")
    func wraps() {
        let plan = IRQs.spread([40, 41, 42, 43, 44], over: [0, 1])
        #expect(plan.map(\.cpus.description) == ["0", "1", "0", "1", "0"])
        #expect(plan.map(\.irq) == [40, 41, 42, 43, 44])
    }

    @Test("follows the online CPUs, skipping offline ones")
    func onlineOnly() throws {
        let online = try CPUSet(parsing: "0,2,4-5\n")
        let plan = IRQs.spread([10, 11, 12, 13, 14], over: online)
        #expect(plan.map(\.cpus) == [[0], [2], [4], [5], [0]])
    }

    @Test("plans nothing without queues or CPUs")
    func empty() {
        #expect(IRQs.spread([], over: [0, 1]).isEmpty)
        #expect(IRQs.spread([1, 2], over: []).isEmpty)
    }

    @Test("affinity is written to smp_affinity_list as a CPU list")
    func affinityFile() {
        #expect(IRQs.affinityPath(125) == "/proc/irq/125/smp_affinity_list")
        #expect(IRQAffinity(irq: 125, cpus: [2, 3]).cpus.description == "2-3")
    }
}
