import Foundation
import Glibc
import PlumbSystem
import Testing

/// A lock whose file its holder removes: whoever waited for it must hold the lock of the
/// file at the path afterwards, never of the removed one (two would then hold "the" lock).
@Suite("A lock file removed by its holder")
struct FileLockTests {
    /// Whether someone holds an flock on the file at `path` now (a probe of our own).
    func held(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { flock(fd, LOCK_UN); return false }
        return errno == EWOULDBLOCK
    }

    func scratch() throws -> URL { URL(fileURLWithPath: try scratchDirectory("plumb-lock")) }

    @Test("a waiter that wins the lock of a removed file locks the path's new file; the next locker waits for it")
    func waiterMovesToTheNewFile() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("x.lock").path

        var first: FileLock? = try FileLock(path: path)
        let acquired = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let waiter = Thread {
            let second = try? FileLock(path: path)
            acquired.signal()
            release.wait()
            withExtendedLifetime(second) {}
        }
        waiter.start()
        usleep(200_000)   // the waiter is blocked in flock on the first file by now (or about to open it)
        first?.removeFile()
        first = nil
        #expect(acquired.wait(timeout: .now() + 10) == .success, "the waiter never got the lock")
        #expect(FileManager.default.fileExists(atPath: path), "no file at the path: the waiter holds the removed one")
        #expect(held(path), "the file at the path is not locked: a third locker would get it while the waiter holds the lock")
        release.signal()
    }

    @Test("removeFile then release: the path is free, and the next lock makes and holds a new file")
    func removeThenLockAgain() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("y.lock").path
        do {
            let lock = try FileLock(path: path)
            lock.removeFile()
        }
        #expect(!FileManager.default.fileExists(atPath: path))
        let again = try FileLock(path: path)
        #expect(held(path))
        withExtendedLifetime(again) {}
    }
}
