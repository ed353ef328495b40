import PlumbManifest

/// Where a thing lives: the namespace Plumb runs in ("host") or a container's.
/// The string form keys observed state, records and steps: "host", "web",
/// "pid:1234", "/proc/1234/ns/net".
public typealias NamespaceKey = String

public let hostNamespace: NamespaceKey = "host"

extension NetnsRef {
    public var key: NamespaceKey { description }

    /// The nsfs path that opens it.
    public var path: String {
        switch self {
        case .named(let n): return "/run/netns/\(n)"
        case .pid(let p): return "/proc/\(p)/ns/net"
        case .path(let p): return p
        }
    }
}

/// The link alias that marks a link as Plumb's, per manifest (`ip link` shows it).
public func ownershipAlias(_ manifest: String) -> String { "plumb:\(manifest)" }
