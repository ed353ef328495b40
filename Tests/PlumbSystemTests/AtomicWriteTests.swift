import Foundation
import Glibc
@testable import PlumbSystem
import Testing

/// Records are written so that a kill leaves either the old file or the new one, and
/// (almost) never a temporary: the content goes to an unnamed file first.
@Suite("Atomic writes")
struct AtomicWriteTests {
    func scratch() throws -> String { try scratchDirectory("plumb-atomic") }

    @Test("a write replaces the file whole, with its mode, and leaves no temporary beside it")
    func replaces() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(dir)/r.json"
        try Files.writeAtomically(path, Array("old".utf8))
        try Files.writeAtomically(path, Array("new".utf8), mode: 0o644)
        #expect(try Files.read(path) == "new")
        var st = stat()
        #expect(stat(path, &st) == 0 && st.st_mode & 0o777 == 0o644)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["r.json"])
    }

    @Test("a temporary whose writer is gone is stale; one of a live process (this one) is not")
    func staleTemporaries() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A PID above pid_max (4194304 at most) belongs to no process.
        for name in ["a.json.tmp.4194305", "b.json.tmp.\(getpid())", "c.json", "d.json.tmp.x"] {
            FileManager.default.createFile(atPath: "\(dir)/\(name)", contents: Data())
        }
        #expect(Files.staleTemporaries(in: dir) == ["a.json.tmp.4194305"])
    }
}
