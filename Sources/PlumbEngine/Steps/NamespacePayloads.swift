import PlumbTypes

/// Equivalent to: `ip netns add NAME; ip -n NAME link set lo alias MARK up`.
public struct NamespaceCreation: Hashable, Sendable, Codable {
    public var name: String
    /// The alias `lo` gets before the namespace appears under /run/netns.
    public var mark: String
    /// A plain file at /run/netns/NAME that an earlier, killed create of this owner left.
    public var replacesPlaceholder: Bool = false
}

/// Equivalent to: `ip netns delete NAME`, only while `/run/netns/NAME` is still the
/// namespace Plumb recorded (`identity`) and its `lo` carries Plumb's mark.
/// `identity` nil: the namespace this same apply created (a rollback).
public struct NamespaceDeletion: Hashable, Sendable, Codable {
    public var name: String
    public var identity: NamespaceIdentity?
}

/// Equivalent to: `sysctl -w KEY=VALUE`, in the namespace Plumb runs in.
public struct SysctlWrite: Hashable, Sendable, Codable {
    public var key: String
    public var value: Change<String>
}
