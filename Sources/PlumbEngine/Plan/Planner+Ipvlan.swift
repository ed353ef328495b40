import PlumbManifest
import PlumbNetlink
import PlumbTypes

/// `ipvlan: {parent, mode, flags}`: an ipvlan born in the container on a link of the host. It has
/// its parent's MAC, so the alias is its only mark: ours when it carries the owner's alias,
/// the record lists it as an ipvlan, and the kernel says it is one. An ipvlan of someone
/// else on the same parent is never touched — and since the kernel keeps one mode per
/// parent, one in another mode refuses the plan instead of being switched.
extension Planner {
    func ipvlanSteps(_ iface: Interface, container c: Container, parent: String, mode: IpvlanMode, flag: IpvlanFlag, ns: NamespaceRef,
                     inner: inout NamespaceSnapshot, path: String, into p: inout Phases) throws {
        let parentLink = try lowerParent(parent, kind: "ipvlan", mtu: iface.mtu, path: path)
        let onParent: (LinkInfo) -> Bool = { l in parentLink.map { l.peerIndex == $0.index } ?? false }
        if parentLink != nil { p.links += strayLinks(kind: "ipvlan", container: c, planned: p, onParent) }
        let existing = inner.link(named: iface.name)
            ?? renamedLink(iface, kind: .ipvlan, container: c, ns: ns, inner: &inner, into: &p, onParent)
        if let parentLink {
            try refuseBusyParent(parentLink, for: "ipvlan", path: "\(path).ipvlan.parent")
            try refuseOtherIpvlanMode(on: parentLink, mode: mode, flag: flag, except: existing.map { (ns, $0.index) }, path: path)
        }
        if let existing {
            try requireOwnedChild(existing, in: ns, kind: .ipvlan, path: path, declaredMAC: parentLink?.mac)
            if parentLink != nil, existing.kind == "ipvlan", onParent(existing), existing.ipvlanMode == mode, existing.ipvlanFlag == flag {
                p.settings += linkSettings(existing, in: ns, mtu: iface.mtu, mac: nil)
                p.addresses += addressSteps(existing, desired: iface.addresses, snapshot: inner, in: ns)
                return
            }
            replace(existing, in: ns, inner: &inner, reason: "it is no longer a \(mode.rawValue) \(flag.rawValue) ipvlan on \(parent)", into: &p)
        }
        p.links.append(Step(.createIpvlan(IpvlanCreation(link: LinkRef(iface.name, in: ns), parent: parent,
                                                         parentIndex: parentLink?.index, mode: mode, flag: flag,
                                                         parentMAC: parentLink?.mac ?? marks.mac(for: parent),
                                                         mtu: iface.mtu, alias: alias, ipv6: usesIPv6(iface, of: c),
                                                         birth: BirthName(temporary: marks.temporaryName(for: iface.name, in: ns),
                                                         planned: index.hostLinks[iface.name] != nil)))))
        p.addresses += iface.addresses.map { address(.add, $0, on: LinkRef(iface.name, in: ns)) }
    }

    /// The parent in the host namespace; nil for a bridge this plan creates. Missing, or
    /// carrying less than the interface's MTU: refused before any change.
    func lowerParent(_ parent: String, kind: String, mtu: Int?, path: String) throws -> LinkInfo? {
        guard let link = index.hostLinks[parent] else {
            if layer.managesHost && manifest.bridges.contains(where: { $0.name == parent }) { return nil }
            throw error("\(path).\(kind).parent", "parent \(parent) does not exist in the host namespace")
        }
        if let mtu, mtu > link.mtu {
            throw error("\(path).mtu", "MTU \(mtu) is above its parent \(parent)'s MTU \(link.mtu): a\(kind == "ipvlan" ? "n" : "") \(kind) cannot carry more than its parent")
        }
        return link
    }

    /// Another ipvlan on the parent in another mode or with another flag (this owner's of
    /// another interface, or anyone's): creating ours would switch it, since the kernel keeps
    /// both on the parent's port (the last ipvlan created sets them for all).
    func refuseOtherIpvlanMode(on parent: LinkInfo, mode: IpvlanMode, flag: IpvlanFlag, except mine: (NamespaceRef, Int)?, path: String) throws {
        let others = children(ofHostLink: parent.index).filter { c in
            c.link.kind == "ipvlan" && (c.link.ipvlanMode != mode || c.link.ipvlanFlag.map { $0 != flag } ?? false)
                && !(mine.map { $0.0 == c.ns && $0.1 == c.link.index } ?? false)
                && !(c.ns == .host && c.link.alias == alias)   // ours moved out: deleted by this plan
                && !recreatedByThisPlan(c.link, in: c.ns, parent: parent.name, mode: mode, flag: flag)
        }
        guard let o = others.first else { return }
        let field = o.link.ipvlanMode != mode ? "mode" : "flags"
        let seen = "\(o.link.ipvlanMode?.rawValue ?? "?") \(o.link.ipvlanFlag?.rawValue ?? "?")"
        throw error("\(path).ipvlan.\(field)", "\(parent.name) already carries ipvlan \(o.link.name)\(o.ns == .host ? "" : " in \(o.ns)") in mode \(seen): the kernel keeps one ipvlan mode and flag per parent and would switch it to \(mode.rawValue) \(flag.rawValue)")
    }

    /// One of ours that this manifest declares on the same parent in the new mode and flag:
    /// the same plan re-creates it, so it is no obstacle.
    func recreatedByThisPlan(_ l: LinkInfo, in ns: NamespaceRef, parent: String, mode: IpvlanMode, flag: IpvlanFlag) -> Bool {
        guard l.alias == alias else { return false }
        return manifest.containers.contains { c in
            c.netns == ns && c.interfaces.contains { $0.name == l.name && $0.kind == .ipvlan(parent: parent, mode: mode, flag: flag) }
        }
    }
}
