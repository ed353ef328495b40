import CLinux
import Glibc
import PlumbTypes
import Synchronization

/// A network namespace held open by a file descriptor.
/// The fd keeps the namespace addressable for as long as Plumb needs it
/// (veth peers are born in it with IFLA_NET_NS_FD; sockets are opened in it).
public final class NetworkNamespace {
    public let fd: Int32
    /// Where it was opened from: "/run/netns/web", "/proc/1234/ns/net", or "self".
    public let path: String

    public init(fd: Int32, path: String) { self.fd = fd; self.path = path }

    /// Opens an existing namespace file (`/run/netns/NAME`, `/proc/PID/ns/net`).
    /// Equivalent to: `ip netns exec NAME …` resolving its target.
    public static func open(path: String) throws -> NetworkNamespace {
        let fd = try check("open", path) { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
        return NetworkNamespace(fd: fd, path: path)
    }

    /// The namespace this process started in (the "host" side of every veth).
    public static func current() throws -> NetworkNamespace {
        try open(path: "/proc/self/ns/net")
    }

    /// Runs `body` on a fresh thread inside this namespace.
    public func run<T>(_ body: () throws -> T) throws -> T {
        try NetnsThread.run(inNamespace: fd, body)
    }

    /// Starts `body` on a fresh thread inside this namespace; `join` waits for it.
    public func start<T>(_ body: @escaping () throws -> T) throws -> NetnsThread.Started<T> {
        try NetnsThread.start(inNamespace: fd, body)
    }

    /// The namespace inode: equal inodes mean the same namespace.
    public func inode() throws -> UInt64 {
        var st = stat()
        try check("fstat", path) { fstat(fd, &st) }
        return UInt64(st.st_ino)
    }

    deinit { Glibc.close(fd) }
}

/// Named namespaces under /run/netns, made the way iproute2 makes them so that
/// `ip netns list` and `ip netns exec` see Plumb's namespaces too.
public enum NamedNamespaces {
    public static let directory = "/run/netns"

    public static func path(_ name: String) -> String { "\(directory)/\(name)" }

    public static func exists(_ name: String) -> Bool { isMounted(path(name)) }

    /// The names under /run/netns that are namespaces and those that are plain files
    /// (empty when the directory is absent), in one pass: the directory stat'ed once, each
    /// entry lstat'ed once (two passes were ~400 stat calls crossing a mount at 100 netns).
    public static func entries() -> (namespaces: [String], placeholders: [String]) {
        var dir = stat()
        guard stat(directory, &dir) == 0 else { return ([], []) }
        var namespaces: [String] = [], placeholders: [String] = []
        for name in (try? Directory.entries(directory)) ?? [] {
            var st = stat()
            guard lstat(path(name), &st) == 0 else { continue }
            if st.st_dev != dir.st_dev { namespaces.append(name) } else { placeholders.append(name) }
        }
        return (namespaces, placeholders)
    }

    /// Removes /run/netns/NAME when it is only a placeholder file (never a namespace).
    public static func removeStalePlaceholder(_ name: String) {
        let p = path(name)
        if Files.exists(p) && !isMounted(p) { unlink(p) }
    }

    /// A namespace file is a bind mount of nsfs: its device differs from its
    /// directory's. A plain file there is what a create killed between `open` and
    /// `mount` leaves behind: not a namespace.
    public static func isMounted(_ p: String) -> Bool {
        var st = stat(), dir = stat()
        guard lstat(p, &st) == 0, stat(directory, &dir) == 0 else { return false }
        return st.st_dev != dir.st_dev
    }

    /// Creates /run/netns/NAME bound to a brand-new namespace. `prepare` runs inside
    /// it on the creating thread *before* the bind mount (to mark it, bring `lo` up and
    /// open sockets there), so no one ever sees the namespace unprepared.
    /// Equivalent to: `ip netns add NAME`.
    /// `replacingPlaceholder`: a plain file there is what an earlier create of the
    /// caller left when killed before its bind mount; otherwise it is someone's (EEXIST).
    public static func create<T>(_ name: String, replacingPlaceholder: Bool = false,
                                 prepare: () throws -> T) throws -> (T, NamespaceIdentity) {
        try prepareDirectory()
        let target = path(name)
        if replacingPlaceholder, Files.exists(target), !isMounted(target), !Files.isSymlink(target) { unlink(target) }
        let fd = try check("create", target) { Glibc.open(target, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0) }
        Glibc.close(fd)
        do {
            return try NetnsThread.runInNewNamespace {
                let value = try prepare()
                // /proc/self is the main thread's namespace; thread-self is this one's.
                try check("mount --bind", "/proc/thread-self/ns/net → \(target)") {
                    mount("/proc/thread-self/ns/net", target, "none", UInt(MS_BIND), nil)
                }
                guard let id = try Identities.namespace(at: target) else {
                    throw SystemError("stat", target, .noEntry)
                }
                return (value, id)
            }
        } catch {
            // The bind mount may already be there (a later step failed): a mount point
            // cannot be unlinked until it is detached.
            umount2(target, Int32(MNT_DETACH))
            unlink(target)
            throw error
        }
    }

    /// Detaches and removes /run/netns/NAME. The kernel frees the namespace (and the
    /// veths inside it) once nothing else holds it.
    /// Equivalent to: `ip netns delete NAME`.
    public static func delete(_ name: String) throws {
        let target = path(name)
        if umount2(target, Int32(MNT_DETACH)) != 0 && Glibc.errno != EINVAL && Glibc.errno != ENOENT {
            throw SystemError("umount", target)
        }
        // Gone meanwhile (an `ip netns del` raced this one): the goal is reached.
        if unlink(target) != 0 && Glibc.errno != ENOENT {
            throw SystemError("unlink", target)
        }
    }

    /// Makes /run/netns a shared mount point, as iproute2 does, so bind mounts made
    /// here propagate to mount namespaces cloned later. Once per process: the
    /// recursive make-shared walks every mount under /run/netns, so doing it per
    /// namespace costs quadratic time over thousands of them.
    static func prepareDirectory() throws {
        if directoryPrepared.withLock({ $0 }) { return }
        if mkdir(directory, 0o755) != 0 && Glibc.errno != EEXIST {
            throw SystemError("mkdir", directory)
        }
        if mount("", directory, "none", UInt(MS_SHARED | MS_REC), nil) != 0 {
            guard Glibc.errno == EINVAL else { throw SystemError("mount --make-shared", directory) }
            try check("mount --bind", directory) { mount(directory, directory, "none", UInt(MS_BIND | MS_REC), nil) }
            try check("mount --make-shared", directory) { mount("", directory, "none", UInt(MS_SHARED | MS_REC), nil) }
        }
        directoryPrepared.withLock { $0 = true }
    }

    private static let directoryPrepared = Mutex(false)
}
