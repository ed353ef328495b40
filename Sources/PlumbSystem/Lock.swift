import Glibc

/// An exclusive advisory lock (`flock`) on a file, held until release/deinit.
/// Serializes Plumb runs that touch the same state (containerization does the same).
public final class FileLock {
    private let fd: Int32
    public let path: String

    /// Blocks until the lock is ours — on the file that is at `path` once we hold it: a
    /// holder may remove the file (`removeFile`), and a waiter that then wins the lock of
    /// the removed file opens the path again, so two never hold "the" lock at once.
    public init(path: String) throws {
        self.path = path
        while true {
            let fd = try check("open", path) { open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600) }
            do { try check("flock", path) { flock(fd, LOCK_EX) } } catch { close(fd); throw error }
            if Self.isAtPath(fd, path) { self.fd = fd; return }
            close(fd)
        }
    }

    /// Removes the lock's file while it is held: the next to lock makes a new one.
    /// Equivalent to: `rm PATH` under `flock PATH`.
    public func removeFile() { unlink(path) }

    /// The open file is still the one at `path` (same device and inode).
    private static func isAtPath(_ fd: Int32, _ path: String) -> Bool {
        var open = stat(), named = stat()
        guard fstat(fd, &open) == 0, lstat(path, &named) == 0 else { return false }
        return open.st_dev == named.st_dev && open.st_ino == named.st_ino
    }

    deinit { flock(fd, LOCK_UN); close(fd) }
}
