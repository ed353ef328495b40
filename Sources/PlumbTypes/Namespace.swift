/// Where a network object lives: the namespace Plumb runs in, or a container's,
/// named the way the manifest names it. A name is how to find a namespace, never
/// proof of which one it is: that is its `NamespaceIdentity`.
public enum NamespaceRef: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The network namespace Plumb itself runs in.
    case host
    /// `/run/netns/NAME`, made like `ip netns add NAME` (so "host" is just a name here).
    case named(String)
    /// `/proc/PID/ns/net`.
    case pid(Int)
    /// Any nsfs path.
    case path(String)

    /// The file that opens it; nil for the host namespace (Plumb's own, already open).
    public var path: String? {
        switch self {
        case .host: return nil
        case .named(let n): return "/run/netns/\(n)"
        case .pid(let p): return "/proc/\(p)/ns/net"
        case .path(let p): return p
        }
    }

    /// As messages name it: "the host namespace", "netns web", "netns of pid 1234".
    public var description: String {
        switch self {
        case .host: return "the host namespace"
        case .named(let n): return "netns \(n)"
        case .pid(let p): return "netns of pid \(p)"
        case .path(let p): return "netns \(p)"
        }
    }

    /// The command an operator types to run `ip` there.
    public var ipCommand: String {
        switch self {
        case .host: return "ip"
        case .named(let n): return "ip -n \(n)"
        case .pid(let p): return "nsenter -t \(p) -n ip"
        case .path(let p): return "nsenter --net=\(p) ip"
        }
    }

    /// The same namespace in its plainest form: `{path: /run/netns/web}` is `web`,
    /// `{path: /proc/12/ns/net}` is `{pid: 12}`.
    public var canonical: NamespaceRef {
        guard case .path(let p) = self else { return self }
        let parts = p.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 4, parts[0].isEmpty, parts[1] == "run", parts[2] == "netns",
           !parts[3].isEmpty, parts[3] != ".", parts[3] != ".." {
            return .named(String(parts[3]))
        }
        if parts.count == 5, parts[0].isEmpty, parts[1] == "proc", parts[3] == "ns", parts[4] == "net",
           !parts[2].isEmpty, parts[2].utf8.allSatisfy({ (48...57).contains($0) }), parts[2].count <= 9,
           parts[2].first != "0", let pid = Int(parts[2]) {
            return .pid(pid)
        }
        return self
    }

    private enum CodingKeys: String, CodingKey { case host, named, pid, path }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard c.allKeys.count == 1, let key = c.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "a namespace is one of host, named, pid, path"))
        }
        switch key {
        case .host: self = .host
        case .named: self = .named(try c.decode(String.self, forKey: .named))
        case .pid: self = .pid(try c.decode(Int.self, forKey: .pid))
        case .path: self = .path(try c.decode(String.self, forKey: .path))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .host: try c.encode(true, forKey: .host)
        case .named(let n): try c.encode(n, forKey: .named)
        case .pid(let p): try c.encode(p, forKey: .pid)
        case .path(let p): try c.encode(p, forKey: .path)
        }
    }
}

/// Which namespace it really is: the nsfs device and inode (`stat -L /run/netns/web`,
/// `readlink /proc/PID/ns/net` shows the inode). Two references are the same
/// namespace exactly when their identities are equal.
public struct NamespaceIdentity: Hashable, Sendable, Codable, CustomStringConvertible {
    public var device: UInt64
    public var inode: UInt64
    public init(device: UInt64, inode: UInt64) { self.device = device; self.inode = inode }
    /// "net:[4026532281]", as `readlink /proc/PID/ns/net` prints it.
    public var description: String { "net:[\(inode)]" }
}

/// A process as the kernel knows it: its pid and its start time (field 22 of
/// /proc/PID/stat, in clock ticks since boot). A pid reused by a new process has
/// another start time.
public struct ProcessIdentity: Hashable, Sendable, Codable, CustomStringConvertible {
    public var pid: Int
    public var startTime: UInt64
    public init(pid: Int, startTime: UInt64) { self.pid = pid; self.startTime = startTime }
    public var description: String { "pid \(pid) (started at tick \(startTime))" }
}

extension NamespaceRef {
    /// Why this reference cannot name a container namespace Plumb works in; nil when it can.
    /// Names are 1-64 of A-Z a-z 0-9 . _ - (a file under /run/netns, never a path);
    /// paths are absolute, without "." or ".." parts (manifests accept only
    /// /run/netns/NAME and /proc/PID/ns/net; a runtime may hand over any nsfs file).
    public var problem: String? {
        switch self {
        case .host: return nil
        case .named(let n):
            let portable = n.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "_" || $0 == "-"
            }
            guard (1...64).contains(n.utf8.count), portable, n != ".", n != ".." else {
                return "\"\(n.prefix(80))\" is not a valid netns name (1-64 of A-Z a-z 0-9 . _ -, not . or ..)"
            }
            return nil
        case .pid(let p): return p > 0 ? nil : "\(p) is not a process id (must be > 0)"
        case .path(let p):
            let c = canonical
            if case .path = c {
                // Any nsfs file a runtime bind-mounted (CNI_NETNS), as an absolute, plain path.
                let parts = p.split(separator: "/", omittingEmptySubsequences: false)
                guard p.hasPrefix("/"), p.utf8.count <= 4096, !parts.contains(".."), !parts.contains("."),
                      !p.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
                    return "\"\(p.prefix(80))\" is not an absolute path to a namespace file"
                }
                return nil
            }
            return c.problem
        }
    }
}
