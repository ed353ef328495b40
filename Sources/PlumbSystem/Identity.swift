import CLinux
import Glibc
import PlumbTypes

extension NetworkNamespace {
    /// Which namespace this fd holds: its nsfs device and inode.
    public func identity() throws -> NamespaceIdentity {
        var st = stat()
        try check("fstat", path) { fstat(fd, &st) }
        return NamespaceIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }
}

public enum Identities {
    /// The namespace behind an nsfs path (`/run/netns/NAME`, `/proc/PID/ns/net`),
    /// following the magic link; nil when there is none (ENOENT, ESRCH).
    /// Equivalent to: `stat -L -c '%d %i' PATH`.
    public static func namespace(at path: String) throws -> NamespaceIdentity? {
        var st = stat()
        if stat(path, &st) != 0 {
            if errno == ENOENT || errno == ESRCH || errno == ENOTDIR { return nil }
            throw SystemError("stat", path)
        }
        return NamespaceIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }

    /// The process with this pid now, by its start time (field 22 of /proc/PID/stat,
    /// read after the command name, which may hold spaces and parentheses).
    /// nil when no such process exists.
    public static func process(_ pid: Int) throws -> ProcessIdentity? {
        guard pid > 0 else { return nil }
        let text: String
        do { text = try Files.read("/proc/\(pid)/stat") } catch let e as SystemError where e.errno == .noEntry || e.errno == .noProcess {
            return nil
        }
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After "pid (comm)" come field 3 (state) onwards: start time is field 22.
        guard fields.count > 19, let start = UInt64(fields[19]) else { return nil }
        return ProcessIdentity(pid: pid, startTime: start)
    }
}

extension Identities {
    /// True when `path` is a namespace file (nsfs: a bind mount like /run/netns/NAME, or
    /// /proc/PID/ns/net), not a plain file or directory with a namespace's name.
    /// Equivalent to: `stat -f -L -c %T PATH` printing `nsfs`.
    public static func isNamespaceFile(_ path: String) -> Bool {
        namespaceFileProblem(path) == nil
    }

    /// Why `path` is not a namespace file; nil when it is. A file that cannot be read says
    /// the errno (a process's /proc/PID/ns/net another user's, say), not "not a namespace".
    public static func namespaceFileProblem(_ path: String) -> String? {
        switch plumb_is_nsfs(path) {
        case 1: return nil
        case 0: return "it is not a namespace file"
        default:
            let e = Errno(rawValue: errno)
            return "it cannot be read: \(e.message) (\(e.name))"
        }
    }
}
