import CLinux
import Glibc

/// Runs work inside another network namespace on a fresh pthread.
///
/// `setns` changes only the calling thread, and a Swift concurrency thread can be
/// reused by other tasks afterwards; so we never switch namespaces on a shared
/// thread. Sockets opened here stay bound to the namespace after the thread exits,
/// which is how per-namespace netlink handles are made (docs/ARCHITECTURE.md §6).
public enum NetnsThread {
    /// Runs `body` on a new thread that first enters the namespace behind `fd`.
    public static func run<T>(inNamespace fd: Int32, _ body: () throws -> T) throws -> T {
        try onFreshThread {
            try check("setns", "netns fd \(fd)") { plumb_setns(fd, plumb_clone_newnet()) }
            return try body()
        }
    }

    /// Runs `body` on a new thread inside a brand-new, empty network namespace.
    public static func runInNewNamespace<T>(_ body: () throws -> T) throws -> T {
        try onFreshThread {
            try check("unshare", "CLONE_NEWNET") { plumb_unshare(plumb_clone_newnet()) }
            return try body()
        }
    }

    /// Runs `body` on a dedicated pthread and waits for it. The thread dies with the
    /// namespace it entered, so nothing else ever runs in a surprising netns.
    public static func onFreshThread<T>(_ body: () throws -> T) throws -> T {
        var result: Result<T, Error>?
        try withoutActuallyEscaping(body) { body in
            try ThreadJob { result = Result { try body() } }.runAndWait()
        }
        return try result!.get()
    }
}

/// One closure run on one joined pthread (non-generic: the C entry point can't be).
private final class ThreadJob {
    let work: () -> Void
    init(_ work: @escaping () -> Void) { self.work = work }

    func runAndWait() throws {
        let unmanaged = Unmanaged.passRetained(self)
        defer { unmanaged.release() }
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { arg in
            Unmanaged<ThreadJob>.fromOpaque(arg!).takeUnretainedValue().work()
            return nil
        }, unmanaged.toOpaque())
        guard rc == 0 else { throw SystemError("pthread_create", "netns worker", Errno(rawValue: rc)) }
        pthread_join(thread, nil)
    }
}
