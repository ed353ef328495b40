/// Where an ipvlan's siblings and its parent part traffic (`ip link add … type ipvlan mode MODE`).
/// The manifest, the netlink request and the observed link speak the kernel's names
/// (IFLA_IPVLAN_MODE). The kernel keeps ONE mode per parent: every ipvlan on a parent
/// switches to the mode of the last one created there.
public enum IpvlanMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Switching by MAC on the parent's segment: neighbours resolve, broadcasts pass.
    case l2
    /// Routing by IP address inside the parent's namespace: no ARP/ND, no broadcast.
    case l3
    /// l3 with the host's netfilter hooks on the way (conntrack-able).
    case l3s

    public static var names: [String] { allCases.map(\.rawValue) }
}

/// How an ipvlan forwards to its siblings on one parent (`ip link add … type ipvlan mode M FLAG`,
/// IFLA_IPVLAN_FLAGS): the kernel's names.
public enum IpvlanFlag: String, Sendable, Hashable, Codable, CaseIterable {
    /// Siblings reach each other inside the host (the kernel's default).
    case bridge
    /// No traffic between siblings at all.
    case `private`
    /// Siblings talk only through the outside switch (hairpin).
    case vepa

    public static var names: [String] { allCases.map(\.rawValue) }
}
