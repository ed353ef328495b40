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

    /// Starts `body` on a new thread inside a brand-new, empty network namespace, and
    /// returns at once: making a namespace is ~1 ms of kernel work that another core can do
    /// while this thread goes on. `join` waits for it.
    public static func startInNewNamespace<T>(_ body: @escaping () throws -> T) throws -> Started<T> {
        let started = Started<T>()
        try started.job.start {
            started.result = Result {
                try check("unshare", "CLONE_NEWNET") { plumb_unshare(plumb_clone_newnet()) }
                return try body()
            }
        }
        return started
    }

    /// Starts `body` on a new thread that first enters the namespace behind `fd`, and
    /// returns at once; `join` waits for it. The caller keeps `fd` open until then.
    public static func start<T>(inNamespace fd: Int32, _ body: @escaping () throws -> T) throws -> Started<T> {
        let started = Started<T>()
        try started.job.start {
            started.result = Result {
                try check("setns", "netns fd \(fd)") { plumb_setns(fd, plumb_clone_newnet()) }
                return try body()
            }
        }
        return started
    }

    /// Work running on its own pthread (`start`, `startInNewNamespace`); joined exactly once.
    public final class Started<T>: @unchecked Sendable {
        fileprivate let job = ThreadJob()
        fileprivate var result: Result<T, Error>?
        private var joined = false

        /// Waits for the thread; its value, or what it threw.
        public func join() throws -> T {
            if !joined { job.join(); joined = true }
            return try result!.get()
        }

        deinit { if !joined { job.join() } }
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
    var work: () -> Void
    private var thread: pthread_t?

    init(_ work: @escaping () -> Void = {}) { self.work = work }

    func runAndWait() throws {
        try start(work)
        join()
    }

    /// The thread holds the job until it ends; `join` must follow.
    func start(_ work: @escaping () -> Void) throws {
        self.work = work
        let unmanaged = Unmanaged.passRetained(self)
        var t = pthread_t()
        let rc = pthread_create(&t, nil, { arg in
            let job = Unmanaged<ThreadJob>.fromOpaque(arg!)
            job.takeUnretainedValue().work()
            job.takeUnretainedValue().work = {}   // what it captured is the caller's again
            job.release()
            return nil
        }, unmanaged.toOpaque())
        guard rc == 0 else {
            unmanaged.release()
            throw SystemError("pthread_create", "netns worker", Errno(rawValue: rc))
        }
        thread = t
    }

    func join() {
        guard let t = thread else { return }
        pthread_join(t, nil)
        thread = nil
    }
}
