import Foundation
import Testing
@testable import PlumbSystem

/// Finding irqbalance in a fake procfs: `comm` names it, `cmdline` (NUL-separated) says what it bans.
@Suite("irqbalance in procfs")
struct IRQBalanceTests {
    final class FakeProc {
        let root = NSTemporaryDirectory() + "plumb-proc-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        deinit { try? FileManager.default.removeItem(atPath: root) }

        func process(_ pid: String, comm: String, _ argv: [String]) throws {
            try FileManager.default.createDirectory(atPath: "\(root)/\(pid)", withIntermediateDirectories: true)
            try (comm + "\n").write(toFile: "\(root)/\(pid)/comm", atomically: false, encoding: .utf8)
            try argv.map { $0 + "\0" }.joined().write(toFile: "\(root)/\(pid)/cmdline", atomically: false, encoding: .utf8)
        }

        /// init, a shell whose arguments mention irqbalance, and /proc's non-process entries.
        static func host() throws -> FakeProc {
            let p = FakeProc()
            try p.process("1", comm: "systemd", ["/sbin/init"])
            try p.process("77", comm: "bash", ["bash", "-c", "irqbalance --banirq=1"])
            try FileManager.default.createDirectory(atPath: "\(p.root)/sys/net", withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: "\(p.root)/self", withDestinationPath: "1")
            return p
        }
    }

    @Test("none running: nil (a process that merely mentions it is not it)")
    func none() throws {
        let p = try FakeProc.host()
        #expect(IRQBalance.running(procRoot: p.root) == nil)
    }

    @Test("found by comm, with the IRQs its command line bans in every getopt form")
    func banned() throws {
        let p = try FakeProc.host()
        try p.process("812", comm: "irqbalance", ["/usr/sbin/irqbalance", "--foreground", "--banirq=40", "-i", "41", "-i42",
                                                   "--banirq", "43", "--interval=5", "-t", "10"])
        #expect(IRQBalance.running(procRoot: p.root) == IRQBalanceProcess(pid: 812, bannedIRQs: [40, 41, 42, 43]))
        #expect(IRQBalance.running(procRoot: p.root)?.description == "irqbalance (pid 812)")
    }

    @Test("Debian's unit with an empty IRQBALANCE_ARGS: running, banning nothing")
    func plain() throws {
        let p = try FakeProc.host()
        try p.process("640", comm: "irqbalance", ["/usr/sbin/irqbalance", "--foreground"])
        #expect(IRQBalance.running(procRoot: p.root) == IRQBalanceProcess(pid: 640))
    }

    @Test("a policy script is kept, in both forms")
    func policyScript() {
        #expect(IRQBalance.parse(pid: 5, arguments: ["--policyscript=/etc/irqbalance.d/ban-nic"]).policyScript == "/etc/irqbalance.d/ban-nic")
        #expect(IRQBalance.parse(pid: 5, arguments: ["-l", "/usr/local/bin/p", "-i", "9"])
                == IRQBalanceProcess(pid: 5, bannedIRQs: [9], policyScript: "/usr/local/bin/p"))
    }
}
