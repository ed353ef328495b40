import Testing
@testable import PlumbSystem

/// Kernel 6.x: 15 columns; column 13 is the CPU number (CPU 2 is offline here, so
/// the third row is CPU 3).
let softnet6 = """
0029b1f4 00000000 00000112 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
001f0a33 0000000c 0000004e 00000000 00000000 00000000 00000000 00000000 00000000 000003e8 00000002 00000001 00000001 00000001 00000000
00000ace 00000000 00000001 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000003 00000000 00000000

"""

/// Kernel 4.19: 11 columns, no CPU number.
let softnet4 = """
0b6f2f1e 00000000 0000012d 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
0a0c3b21 00000010 00000202 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
"""

@Suite("/proc/net/softnet_stat")
struct SoftnetTests {
    @Test("reads processed, dropped and time_squeeze as hex, per CPU number")
    func kernel6() throws {
        let stat = try SoftnetStat(parsing: softnet6)
        #expect(stat.cpus.map(\.cpu) == [0, 1, 3])
        #expect(stat[cpu: 0] == SoftnetCPU(cpu: 0, processed: 0x29b1f4, dropped: 0, timeSqueeze: 0x112))
        #expect(stat[cpu: 1] == SoftnetCPU(cpu: 1, processed: 0x1f0a33, dropped: 12, timeSqueeze: 78,
                                           receivedRPS: 1000, flowLimitCount: 2))
        #expect(stat[cpu: 2] == nil)
        #expect(stat[cpu: 3]?.processed == 2766)
    }

    @Test("older kernels without the CPU column number rows in order")
    func kernel4() throws {
        let stat = try SoftnetStat(parsing: softnet4)
        #expect(stat.cpus.map(\.cpu) == [0, 1])
        #expect(stat[cpu: 1]?.dropped == 16)
        #expect(stat[cpu: 1]?.timeSqueeze == 0x202)
    }

    @Test("totals add all CPUs without 32-bit overflow")
    func totals() throws {
        let big = SoftnetStat(cpus: [SoftnetCPU(cpu: 0, processed: .max, dropped: 3),
                                     SoftnetCPU(cpu: 1, processed: .max, dropped: 4, timeSqueeze: 9)])
        #expect(big.totalProcessed == 2 * UInt64(UInt32.max))
        #expect(big.totalDropped == 7)
        #expect(big.totalTimeSqueeze == 9)
    }

    @Test("delta shows new drops, across a counter wrap")
    func delta() {
        let before = SoftnetStat(cpus: [SoftnetCPU(cpu: 0, processed: 0xffff_fff0, dropped: 5),
                                        SoftnetCPU(cpu: 1, processed: 100, timeSqueeze: 2)])
        let after = SoftnetStat(cpus: [SoftnetCPU(cpu: 0, processed: 0x10, dropped: 7),
                                       SoftnetCPU(cpu: 1, processed: 150, timeSqueeze: 2)])
        let moved = after.delta(since: before)
        #expect(moved[cpu: 0]?.processed == 0x20)
        #expect(moved[cpu: 0]?.dropped == 2)
        #expect(moved[cpu: 1] == SoftnetCPU(cpu: 1, processed: 50))
        #expect(moved.totalDropped == 2)
    }

    @Test("a malformed field names the line", arguments: [
        ("0029b1f4 zz 00000112", "/proc/net/softnet_stat line 1: \"zz\" is not hexadecimal"),
        ("00000001 00000002 00000003\n00000001 00000002", "/proc/net/softnet_stat line 2: 2 columns, expected at least 3"),
    ])
    func malformed(text: String, message: String) {
        let error = #expect(throws: ProcFormatError.self) { try SoftnetStat(parsing: text) }
        #expect(error?.description == message)
    }

    @Test("this machine's softnet_stat has a row per online CPU")
    func live() throws {
        let stat = try SoftnetStat.read()
        #expect(stat.cpus.map(\.cpu) == (try IRQs.onlineCPUs()).cpus)
    }
}
