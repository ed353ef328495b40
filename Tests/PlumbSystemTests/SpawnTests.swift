import PlumbSystem
import Testing

/// A program started, then collected: its input larger than a pipe holds (written as it
/// reads), its whole output, its exit status. The process ignores SIGPIPE, as plumb's does
/// (`PlumbProcess.prepare`): a write to a program that exited is an error, not a kill.
@Suite("Spawn: start, then finish")
struct SpawnTests {
    init() { ResourceLimits.ignoreBrokenPipes() }

    @Test("cat gives back 1 MiB of input byte for byte: neither pipe blocks the other")
    func largeInput() throws {
        let input = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let running = try Spawn.start("/bin/cat", argv: ["cat"], environment: [:], input: input)
        let result = try running.finish()
        #expect(result.status == 0)
        #expect(result.stdout == input)
    }

    @Test("the exit status and an empty input; a program that reads nothing while Plumb writes does not hang it")
    func statusAndUnread() throws {
        #expect(try Spawn.run("/bin/sh", argv: ["sh", "-c", "exit 3"], environment: [:], input: []).status == 3)
        let unread = try Spawn.run("/bin/sh", argv: ["sh", "-c", "echo done"], environment: [:], input: [UInt8](repeating: 7, count: 1 << 20))
        #expect(unread.status == 0 && unread.stdout == Array("done\n".utf8))
    }
}
