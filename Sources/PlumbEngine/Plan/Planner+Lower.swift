import PlumbManifest
import PlumbNetlink
import PlumbTypes

/// What the kinds made on another link (macvlan, ipvlan, vlan) share: the children a
/// parent already carries, a link of ours moved out to the host, one renamed inside the
/// container, and the replacement of one that no longer matches.
extension Planner {
    /// Every link the plan can see on the host link `parentIndex`: in the host itself and,
    /// through IFLA_LINK_NETNSID, in the namespaces the manifest names.
    func children(ofHostLink parentIndex: Int) -> [(ns: NamespaceRef, link: LinkInfo)] {
        let host = observed.host.links.filter { $0.peerIndex == parentIndex && $0.linkNetnsID == nil && $0.kind != "veth" }
        let inside = observed.namespaces.flatMap { seen in
            (seen.snapshot?.links ?? []).filter { $0.peerIndex == parentIndex && $0.linkNetnsID != nil && $0.kind != "veth" }
                .map { (seen.ref, $0) }
        }
        return host.map { (.host, $0) } + inside
    }

    /// The kernel gives a link's receive path to one user (its rx_handler): a bridge/bond/team
    /// port's master, the macvlans of a parent, or its ipvlans (EBUSY for the second).
    /// Refused before any change.
    func refuseBusyParent(_ parent: LinkInfo, for kind: String, path: String) throws {
        // A bridge, bond or team port's frames go to its master's rx_handler (a VRF's do not).
        if let m = parent.master, let master = index.hostLinksByIndex[m], ["bridge", "bond", "team", "openvswitch"].contains(master.kind ?? "") {
            throw error(path, "parent \(parent.name) is a port of \(master.kind ?? "") \(master.name): the kernel refuses \(kind == "ipvlan" ? "an" : "a") \(kind) on it (EBUSY)")
        }
        let other = kind == "ipvlan" ? "macvlan" : "ipvlan"
        if let c = children(ofHostLink: parent.index).first(where: { $0.link.kind == other }) {
            throw error(path, "parent \(parent.name) already carries \(other) \(c.link.name)\(c.ns == .host ? "" : " in \(c.ns)"): the kernel refuses \(kind == "ipvlan" ? "an" : "a") \(kind) beside it (EBUSY)")
        }
    }

    /// Our links of `kind` in the host namespace that `belongs` picks: someone moved them out
    /// of the container. They go (a new one is born in the container); each once, however
    /// many interfaces pick it.
    func strayLinks(kind: String, container c: Container, planned p: Phases, _ belongs: (LinkInfo) -> Bool) -> [Step] {
        let planned = Set(p.links.compactMap { s -> Int? in
            guard case .deleteLink(let d) = s.action, d.link.namespace == .host else { return nil }
            return d.link.index
        })
        return observed.host.links.filter { $0.kind == kind && $0.alias == alias && !planned.contains($0.index) && belongs($0) }.map { l in
            Step(.deleteLink(LinkDeletion(link: LinkRef(l.name, index: l.index), proof: .owner(alias: alias, mac: nil))),
                 reason: "plumb's \(kind) of container \(c.name) was moved to the host namespace")
        }
    }

    /// Our link of `kind` for this interface under another name inside the container: it
    /// gets its name back by ifindex (addresses and routes stay, so the snapshot the route
    /// steps read shows it under that name too).
    func renamedLink(_ iface: Interface, kind: OwnedLinkKind, container c: Container, ns: NamespaceRef,
                     inner: inout NamespaceSnapshot, into p: inout Phases, _ belongs: (LinkInfo) -> Bool) -> LinkInfo? {
        guard index.recordLink(iface.name, in: ns)?.kind == kind,
              let i = inner.links.firstIndex(where: { l in
                  l.kind == kind.kernelKind && l.alias == alias && l.name != iface.name && belongs(l)
                      && !c.interfaces.contains { $0.name == l.name }
              }) else { return nil }
        p.renames.append(rename(inner.links[i], to: iface.name, in: ns))
        inner.links[i].name = iface.name
        return inner.links[i]
    }

    /// The link by the interface's name is this owner's (as whatever kind the record says
    /// it made: a kind changed in the manifest replaces it) — else the plan error.
    func requireOwnedChild(_ existing: LinkInfo, in ns: NamespaceRef, kind: OwnedLinkKind, path: String,
                           declaredMAC: MACAddress?) throws {
        let recorded = index.recordLink(existing.name, in: ns)?.kind
        let asKind = recorded.map { $0.hasParent ? $0 : kind } ?? kind
        try requireOwned(existing, in: ns, kind: asKind, path: "\(path).name", declaredMAC: declaredMAC)
    }

    /// The deletion of our link that no longer matches the manifest; its addresses and
    /// routes go with it, so the steps after this read it as absent.
    func replace(_ existing: LinkInfo, in ns: NamespaceRef, inner: inout NamespaceSnapshot, reason: String, into p: inout Phases) {
        p.links.append(Step(.deleteLink(LinkDeletion(link: LinkRef(existing.name, in: ns, index: existing.index),
                                                     proof: .owner(alias: existing.alias ?? "", mac: existing.mac))),
                            reason: reason))
        inner.links.removeAll { $0.index == existing.index }
    }
}
