import Glibc

/// An exclusive advisory lock (`flock`) on a file, held until release/deinit.
/// Serializes Plumb runs that touch the same state (containerization does the same).
public final class FileLock {
    private let fd: Int32
    public let path: String

    /// Blocks until the lock is ours.
    public init(path: String) throws {
        self.path = path
        fd = try check("open", path) { open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        do { try check("flock", path) { flock(fd, LOCK_EX) } } catch { close(fd); throw error }
    }

    deinit { flock(fd, LOCK_UN); close(fd) }
}
