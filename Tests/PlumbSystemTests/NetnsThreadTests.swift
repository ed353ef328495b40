import Foundation
import Glibc
import PlumbSystem
import Testing

/// Work started in a new namespace on its own thread: the caller goes on meanwhile, and
/// `join` hands back what the thread made there (or what it threw). Root: unshare.
@Suite("A namespace made on another thread")
struct NetnsThreadTests {
    func netnsLink(_ path: String) -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "unreadable"
    }

    @Test("the thread runs in a namespace of its own, not the caller's; join gives its value")
    func ownNamespace() throws {
        let started = try NetnsThread.startInNewNamespace { () -> String in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self/ns/net")) ?? "unreadable"
        }
        let mine = netnsLink("/proc/thread-self/ns/net")
        let theirs = try started.join()
        #expect(theirs.hasPrefix("net:["))
        #expect(theirs != mine, "the started thread's namespace is the caller's")
        #expect(netnsLink("/proc/thread-self/ns/net") == mine, "the caller's thread moved")
        #expect(try started.join() == theirs, "a second join gives the same value")
    }

    @Test("what the thread throws, join throws")
    func throwsThrough() throws {
        struct Refused: Error {}
        let started = try NetnsThread.startInNewNamespace { () throws -> Int in throw Refused() }
        #expect(throws: Refused.self) { try started.join() }
    }
}
