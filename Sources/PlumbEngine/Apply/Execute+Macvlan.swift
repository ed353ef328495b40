import PlumbNetlink
import PlumbTypes

extension Applier {
    /// One RTM_NEWLINK makes the macvlan inside the container under its name, carrying its
    /// mark MAC; then its alias (and `addrgenmode none` unless it uses IPv6), then up.
    /// The parent is read fresh: a link by that name with another ifindex than the plan
    /// saw is not the parent planned for.
    func createMacvlan(_ m: MacvlanCreation) throws {
        let host = try kernel.links(in: .host)
        let (_, parent) = try require(LinkRef(m.parent, index: m.parentIndex), .declaredByName, "RTM_GETLINK")
        let born = try birthName(m.link.name, m.birth, sentIn: host)
        try host.createMacvlan(MacvlanRequest(name: born, parentIndex: parent.index, mode: m.mode,
                                              namespace: m.link.namespace, mac: m.mode == .passthru ? nil : m.mac, mtu: m.mtu))
        // The kernel takes no alias at creation: the MAC is the mark until this lands.
        let (ops, link) = try require(LinkRef(born, in: m.link.namespace), .owner(alias: "", mac: m.mac), "RTM_GETLINK")
        guard link.kind == "macvlan" else {
            throw OwnershipError(object: "\(m.link)", reason: "it is a \(link.kind ?? "physical") link, not the macvlan just created")
        }
        // Renamed (when born under a temporary name) while still down, with the alias.
        try ops.setLink(SetLink(index: link.index, name: born == m.link.name ? nil : m.link.name, alias: m.alias, noIPv6Addresses: !m.ipv6))
        try ops.setLink(SetLink(index: link.index, up: true))
    }
}
