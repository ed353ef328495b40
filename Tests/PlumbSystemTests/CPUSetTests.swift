import Testing
@testable import PlumbSystem

@Suite("CPU lists")
struct CPUSetTests {
    @Test("parses the kernel's forms", arguments: [
        ("0", [0]),
        ("0-3", [0, 1, 2, 3]),
        ("0-3,5", [0, 1, 2, 3, 5]),
        ("5,0-1", [0, 1, 5]),
        ("0-1\n", [0, 1]),              // sysfs ends with a newline
        ("2,2,1-2", [1, 2]),            // duplicates collapse
        ("", []),                        // /sys/devices/system/cpu/offline when none are
        ("\n", []),
    ])
    func parses(text: String, cpus: [Int]) throws {
        #expect(try CPUSet(parsing: text).cpus == cpus)
    }

    @Test("prints the canonical list", arguments: [
        ([0, 1, 2, 3, 5], "0-3,5"),
        ([0], "0"),
        ([0, 1], "0-1"),
        ([1, 3, 5], "1,3,5"),
        ([7, 0, 6, 1], "0-1,6-7"),
        ([], ""),
    ])
    func prints(cpus: [Int], text: String) {
        #expect(CPUSet(cpus).description == text)
    }

    @Test("print then parse gives the same set")
    func roundTrip() throws {
        let set: CPUSet = [0, 2, 3, 4, 9, 10, 63]
        #expect(set.description == "0,2-4,9-10,63")
        #expect(try CPUSet(parsing: set.description) == set)
    }

    @Test("rejects what the kernel would reject, saying why", arguments: [
        ("3-1", "CPU list \"3-1\": range \"3-1\" ends below its start"),
        ("a", "CPU list \"a\": \"a\" is not a CPU number"),
        ("1,,2", "CPU list \"1,,2\": \"\" is not a CPU number"),
        ("1-2-3", "CPU list \"1-2-3\": \"1-2-3\" is not N or N-M"),
        ("-1", "CPU list \"-1\": \"\" is not a CPU number"),
        ("+1", "CPU list \"+1\": \"+1\" is not a CPU number"),
        ("0-7:2/4", "CPU list \"0-7:2/4\": \"7:2/4\" is not a CPU number"),
        ("9000", "CPU list \"9000\": CPU 9000 is beyond 8191"),
    ])
    func rejects(text: String, message: String) {
        let error = #expect(throws: CPUListError.self) { try CPUSet(parsing: text) }
        #expect(error?.description == message)
    }
}

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
