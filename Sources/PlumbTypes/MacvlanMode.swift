/// How a macvlan forwards between itself and its siblings on one parent
/// (`ip link add … type macvlan mode MODE`). The manifest, the netlink request and
/// the observed link all speak these names, which are the kernel's (IFLA_MACVLAN_MODE).
public enum MacvlanMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Siblings reach each other inside the host; the parent itself is not reachable.
    case bridge
    /// No frame between siblings at all, not even through an outside switch.
    case `private`
    /// Siblings talk only through the outside switch (hairpin).
    case vepa
    /// The only macvlan on its parent, taking over the parent's MAC filtering.
    case passthru

    public static var names: [String] { allCases.map(\.rawValue) }
}
