import PlumbNetlink
import PlumbTypes

extension Applier {
    /// One RTM_NEWLINK, sent in the parent's namespace, makes the VLAN under its name: born
    /// in the container when the parent is in the host, next to it when the parent is an
    /// interface of the container. Then its alias (and `addrgenmode none` unless it uses
    /// IPv6), then up. The parent is read fresh (by the ifindex the plan saw, if any).
    func createVlan(_ v: VlanCreation) throws {
        let (parentOps, parent) = try require(v.parent, .declaredByName, "RTM_GETLINK")
        let born: NamespaceRef? = v.parent.namespace == v.link.namespace ? nil : v.link.namespace
        try parentOps.createVlan(VlanRequest(name: v.link.name, parentIndex: parent.index, id: v.id, proto: v.proto,
                                             namespace: born, mac: v.mac, mtu: v.mtu))
        // The kernel takes no alias at creation: the MAC it was born with is the mark until this lands.
        let (ops, link) = try require(v.link, .owner(alias: "", mac: v.mac ?? parent.mac), "RTM_GETLINK")
        guard link.kind == "vlan" else {
            throw OwnershipError(object: "\(v.link)", reason: "it is a \(link.kind ?? "physical") link, not the VLAN just created")
        }
        try ops.setLink(SetLink(index: link.index, alias: v.alias, noIPv6Addresses: !v.ipv6))
        try ops.setLink(SetLink(index: link.index, up: true))
    }
}
