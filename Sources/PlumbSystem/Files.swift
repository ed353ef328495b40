import CLinux
import Glibc

/// Small file helpers for sysfs, procfs and the state directory.
/// Paths are read with plain syscalls: no Foundation on the hot path.
public enum Files {
    /// Reads a whole (small) file as UTF-8 text.
    /// `followingSymlinks: false`: a symlink at `path` is an error (ELOOP), in the same one open(2).
    public static func read(_ path: String, followingSymlinks: Bool = true) throws -> String {
        let fd = try check("open", path) { open(path, O_RDONLY | O_CLOEXEC | (followingSymlinks ? 0 : O_NOFOLLOW)) }
        defer { close(fd) }
        return String(decoding: try readAll(fd: fd, limit: Int.max - 1, name: path), as: UTF8.self)
    }

    /// Reads an open descriptor (a pipe: a CNI runtime's stdin) to its end, or to `limit`
    /// bytes and one more: a caller told "more than `limit`" by the count.
    public static func readAll(fd: Int32, limit: Int, name: String? = nil) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 16384)
        while bytes.count <= limit {
            let n = Glibc.read(fd, &buf, min(buf.count, limit + 1 - bytes.count))
            if n < 0 { if errno == EINTR { continue }; throw SystemError("read", name ?? "descriptor \(fd)") }
            if n == 0 { break }
            bytes.append(contentsOf: buf[0..<n])
        }
        return bytes
    }

    /// A regular file this process may execute (what `execve` would run).
    public static func isExecutableFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
    }

    /// Writes `text` to an existing file (sysfs/procfs attribute), in one write.
    public static func writeAttribute(_ path: String, _ text: String) throws {
        let fd = try check("open", path) { open(path, O_WRONLY | O_CLOEXEC) }
        defer { close(fd) }
        let n = text.utf8CString.withUnsafeBufferPointer { p in write(fd, p.baseAddress, p.count - 1) }
        if n < 0 { throw SystemError("write", path) }
    }

    /// Writes a file atomically: the content goes to an unnamed file in the same directory
    /// (O_TMPFILE), is synced, gets the temporary name `PATH.tmp.PID` only at the last
    /// moment and is renamed over `path`. A writer killed before that leaves nothing; one
    /// killed between the link and the rename (two syscalls) leaves the temporary, which
    /// `staleTemporaries` finds by its dead PID. Where the filesystem has no unnamed files,
    /// the temporary is named from the start (0600, no symlink followed).
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600) throws {
        let tmp = "\(path).tmp.\(getpid())"
        let dir = path.lastIndex(of: "/").map { String(path[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
        var unnamed = true
        var fd = plumb_open_unnamed(dir, mode)
        if fd < 0 {
            unnamed = false
            fd = try check("open", tmp) { open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode) }
        }
        var named = !unnamed, ok = false
        defer { close(fd); if named && !ok { unlink(tmp) } }
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw SystemError("write", unnamed ? "an unnamed file in \(dir)" : tmp) }
            off += n
        }
        try check("fsync", tmp) { fsync(fd) }
        if unnamed {
            unlink(tmp)   // a stale one of a dead writer with our PID
            try check("link", tmp) { plumb_link_unnamed(fd, tmp) }
            named = true
        }
        try check("rename", "\(tmp) → \(path)") { rename(tmp, path) }
        ok = true
    }

    /// The `NAME.tmp.PID` files in `dir` whose writer is gone (no process `PID`): what a
    /// kill between a temporary's link and its rename leaves.
    public static func staleTemporaries(in dir: String) -> [String] {
        // Records (NAME.json) are most of the directory: passed over before any parsing.
        ((try? Directory.entries(dir)) ?? []).filter { name in
            guard !name.hasSuffix(".json") else { return false }
            let parts = name.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count >= 3, parts[parts.count - 2] == "tmp", let pid = Int32(parts[parts.count - 1]), pid > 0 else { return false }
            return kill(pid, 0) != 0 && errno == ESRCH
        }
    }

    public static func isSymlink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }

    /// The modification time (whole seconds) and size of the file `path` names (its
    /// symlinks followed), or nil when there is none. One stat(2): unlike Foundation's
    /// attributesOfItem, no owner and group names looked up in /etc/passwd and /etc/group.
    public static func modificationAndSize(_ path: String) -> (modified: Int, size: Int)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (Int(st.st_mtim.tv_sec), Int(st.st_size))
    }

    /// Which file `path` names now (the link itself for a symlink): device, inode, size,
    /// and the times a write or a rename changes. Two equal identities are the same
    /// unchanged file, short of a rewrite in place within one clock tick to the same size.
    public static func identity(_ path: String) -> FileIdentity? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
                            modified: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                            changed: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec))
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    public static func remove(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw SystemError("unlink", path) }
    }

    /// Resolves a symlink (sysfs `device/driver` → driver name).
    public static func readLink(_ path: String) throws -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buf, buf.count - 1)
        if n < 0 { throw SystemError("readlink", path) }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

public enum Directory {
    /// Entry names of a directory, without "." and "..".
    public static func entries(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw SystemError("opendir", path) }
        defer { closedir(dir) }
        var out: [String] = []
        while let e = readdir(dir) {
            let name = withUnsafePointer(to: e.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { out.append(name) }
        }
        return out.sorted()
    }

    /// mkdir -p with a mode for the leaf.
    public static func create(_ path: String, mode: mode_t) throws {
        if mkdir(path, mode) == 0 { return }
        if errno == EEXIST { return }
        if errno == ENOENT, let cut = path.lastIndex(of: "/"), cut != path.startIndex {
            try create(String(path[..<cut]), mode: 0o755)
            try check("mkdir", path) { mkdir(path, mode) }
            return
        }
        throw SystemError("mkdir", path)
    }
}

/// `Files.identity`: what tells an unchanged file from a changed one.
public struct FileIdentity: Equatable, Sendable {
    var device: UInt64, inode: UInt64, size: Int64
    /// Nanoseconds since the epoch.
    var modified: Int64, changed: Int64
}
