import PlumbManifest
import PlumbNetlink
import PlumbTypes

/// `macvlan: {parent, mode}`: a macvlan born in the container on a link of the host.
/// Ours when it carries the owner's alias, the record lists it as a macvlan, and the
/// kernel says it is one; a macvlan of someone else on the same parent is never looked at.
extension Planner {
    func macvlanSteps(_ iface: Interface, container c: Container, parent: String, mode: MacvlanMode, ns: NamespaceRef,
                      inner: inout NamespaceSnapshot, path: String, into p: inout Phases) throws {
        let parentLink = try macvlanParent(parent, mtu: iface.mtu, path: path)
        // An ipvlan's parent (or a bridge port) gives the kernel no room for a macvlan.
        if let parentLink { try refuseBusyParent(parentLink, for: "macvlan", path: "\(path).macvlan.parent") }
        let mac = macvlanMAC(iface, parent: parent, parentLink: parentLink, mode: mode, ns: ns)
        p.links += strayMacvlans(mac: mac, container: c)
        let existing = inner.link(named: iface.name) ?? renamedMacvlan(iface, mac: mac, container: c, ns: ns, inner: &inner, into: &p)
        if let existing {
            try requireOwned(existing, in: ns, kind: .macvlan, path: "\(path).name", declaredMAC: iface.mac)
            if let parentLink, existing.peerIndex == parentLink.index, existing.macvlanMode == mode {
                p.settings += linkSettings(existing, in: ns, mtu: iface.mtu, mac: iface.mac)
                p.addresses += addressSteps(existing, desired: iface.addresses, snapshot: inner, in: ns)
                return
            }
            p.links.append(Step(.deleteLink(LinkDeletion(link: LinkRef(existing.name, in: ns, index: existing.index),
                                                         proof: .owner(alias: existing.alias ?? "", mac: existing.mac))),
                                reason: "it is no longer a \(mode.rawValue) macvlan on \(parent)"))
            // Its addresses and routes go with it: the steps after this read it as absent.
            inner.links.removeAll { $0.index == existing.index }
        }
        p.links.append(Step(.createMacvlan(MacvlanCreation(link: LinkRef(iface.name, in: ns), parent: parent,
                                                           parentIndex: parentLink?.index, mode: mode, mac: mac,
                                                           mtu: iface.mtu, alias: alias, ipv6: usesIPv6(iface, of: c),
                                                           birth: BirthName(temporary: marks.temporaryName(for: iface.name, in: ns),
                                                           planned: index.hostLinks[iface.name] != nil)))))
        p.addresses += iface.addresses.map { address(.add, $0, on: LinkRef(iface.name, in: ns)) }
    }

    /// The MAC it is born with, its mark until the alias lands: declared, else the owner's;
    /// for passthru the parent's (the kernel gives it the parent's, whatever is asked; a
    /// bridge this plan creates is born with the owner's mark MAC).
    func macvlanMAC(_ iface: Interface, parent: String, parentLink: LinkInfo?, mode: MacvlanMode, ns: NamespaceRef) -> MACAddress {
        guard mode == .passthru else { return iface.mac ?? marks.mac(for: iface.name, in: ns) }
        return parentLink.map { $0.mac ?? marks.mac(for: iface.name, in: ns) } ?? marks.mac(for: parent)
    }

    /// The parent in the host namespace; nil for a bridge this plan creates. A parent
    /// that is missing, or carries less than the macvlan's MTU, is refused here, before
    /// any change (the kernel would refuse the creation half way through an apply).
    func macvlanParent(_ parent: String, mtu: Int?, path: String) throws -> LinkInfo? {
        guard let link = index.hostLinks[parent] else {
            if layer.managesHost && manifest.bridges.contains(where: { $0.name == parent }) { return nil }
            throw error("\(path).macvlan.parent", "parent \(parent) does not exist in the host namespace")
        }
        if let mtu, mtu > link.mtu {
            throw error("\(path).mtu", "MTU \(mtu) is above its parent \(parent)'s MTU \(link.mtu): a macvlan cannot carry more than its parent")
        }
        return link
    }

    /// Our macvlan of this interface, found in the host namespace: someone moved it out of
    /// the container. It goes (a new one is born in the container); its MAC says which
    /// interface it was, since every interface of the owner carries the same alias.
    func strayMacvlans(mac: MACAddress, container c: Container) -> [Step] {
        observed.host.links.filter { $0.kind == "macvlan" && $0.alias == alias && $0.mac == mac }.map { l in
            Step(.deleteLink(LinkDeletion(link: LinkRef(l.name, index: l.index), proof: .owner(alias: alias, mac: l.mac))),
                 reason: "plumb's macvlan of container \(c.name) was moved to the host namespace")
        }
    }

    /// Our macvlan of this interface under another name inside the container: it gets its
    /// name back by ifindex (its addresses and routes stay, so the snapshot the route steps
    /// read shows it under that name too).
    func renamedMacvlan(_ iface: Interface, mac: MACAddress, container c: Container, ns: NamespaceRef,
                        inner: inout NamespaceSnapshot, into p: inout Phases) -> LinkInfo? {
        guard index.recordLink(iface.name, in: ns)?.kind == .macvlan,
              let i = inner.links.firstIndex(where: { l in
                  l.kind == "macvlan" && l.alias == alias && l.mac == mac && l.name != iface.name
                      && !c.interfaces.contains { $0.name == l.name }
              }) else { return nil }
        p.renames.append(rename(inner.links[i], to: iface.name, in: ns))
        inner.links[i].name = iface.name
        return inner.links[i]
    }
}
