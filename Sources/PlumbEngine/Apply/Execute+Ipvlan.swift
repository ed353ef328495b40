import PlumbNetlink
import PlumbTypes

extension Applier {
    /// One RTM_NEWLINK makes the ipvlan inside the container under its name; then its alias
    /// (and `addrgenmode none` unless it uses IPv6), then up. The parent is read fresh: a
    /// link by that name with another ifindex than the plan saw is not the parent planned
    /// for. Until the alias lands the new link is told by its name, kind and the parent's MAC.
    func createIpvlan(_ m: IpvlanCreation) throws {
        let host = try kernel.links(in: .host)
        let (_, parent) = try require(LinkRef(m.parent, index: m.parentIndex), .declaredByName, "RTM_GETLINK")
        let born = try birthName(m.link.name, m.birth, sentIn: host)
        try host.createIpvlan(IpvlanRequest(name: born, parentIndex: parent.index, mode: m.mode, flag: m.flag,
                                            namespace: m.link.namespace, mtu: m.mtu))
        let (ops, link) = try require(LinkRef(born, in: m.link.namespace), .owner(alias: "", mac: parent.mac), "RTM_GETLINK")
        guard link.kind == "ipvlan" else {
            throw OwnershipError(object: "\(m.link)", reason: "it is a \(link.kind ?? "physical") link, not the ipvlan just created")
        }
        try mark(link, with: ops, rename: born == m.link.name ? nil : m.link.name, alias: m.alias, ipv6: m.ipv6)
    }
}
