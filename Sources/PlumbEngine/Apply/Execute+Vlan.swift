import PlumbNetlink
import PlumbTypes

extension Applier {
    /// One RTM_NEWLINK, sent in the parent's namespace, makes the VLAN under its name: born
    /// in the container when the parent is in the host, next to it when the parent is an
    /// interface of the container. Then its alias (and `addrgenmode none` unless it uses
    /// IPv6), then up. The parent is read fresh (by the ifindex the plan saw, if any).
    func createVlan(_ v: VlanCreation) throws {
        let (parentOps, parent) = try require(v.parent, .declaredByName, "RTM_GETLINK")
        let bornIn: NamespaceRef? = v.parent.namespace == v.link.namespace ? nil : v.link.namespace
        let born = try birthName(v.link.name, v.birth, sentIn: parentOps)
        try parentOps.createVlan(VlanRequest(name: born, parentIndex: parent.index, id: v.id, proto: v.proto,
                                             namespace: bornIn, mac: v.mac, mtu: v.mtu))
        // The kernel takes no alias at creation: the MAC it was born with is the mark until this lands.
        let (ops, link) = try require(LinkRef(born, in: v.link.namespace), .owner(alias: "", mac: v.mac ?? parent.mac), "RTM_GETLINK")
        guard link.kind == "vlan" else {
            throw OwnershipError(object: "\(v.link)", reason: "it is a \(link.kind ?? "physical") link, not the VLAN just created")
        }
        try mark(link, with: ops, rename: born == v.link.name ? nil : v.link.name, alias: v.alias, ipv6: v.ipv6)
    }
}

extension Applier {
    /// A link just made on a parent gets its final name (while still down), its alias and
    /// `addrgenmode` in one message, then comes up. Until the alias lands it is told only by
    /// its name, kind and a MAC it may share with its parent: if that message fails, the link
    /// is deleted here by ifindex (the journal's undo could not prove it ours).
    func mark(_ link: LinkInfo, with ops: any LinkOps, rename: String?, alias: String, ipv6: Bool) throws {
        do {
            try ops.setLink(SetLink(index: link.index, name: rename, alias: alias, noIPv6Addresses: !ipv6))
        } catch {
            try? ops.deleteLink(index: link.index, name: link.name)
            throw error
        }
        try ops.setLink(SetLink(index: link.index, up: true))
    }

    /// The name to send in RTM_NEWLINK: the link's own, or its temporary one when the plan
    /// said so or the name is taken in the sending namespace now (the kernel looks it up
    /// there before creating the link anywhere, and answers EEXIST).
    func birthName(_ name: String, _ birth: BirthName, sentIn ops: any LinkOps) throws -> String {
        if birth.planned { return birth.temporary }
        return try ops.link(name: name) == nil ? name : birth.temporary
    }
}
