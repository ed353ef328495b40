import PlumbManifest
import PlumbNetlink
import PlumbTypes

/// `vlan: {parent, id, protocol}`: a VLAN subinterface in the container. On a parent of the
/// host (a PF, a VF's netdev, a bridge) it is born in the container; on an interface of the
/// container (one the manifest puts there, or one already there) it is made next to it.
/// Ours when it carries the owner's alias, the record lists it as a vlan, and the kernel
/// says it is one; another VLAN on the same parent is never touched.
extension Planner {
    /// Where the parent is and what the plan sees of it (nil: this plan creates or moves it in).
    struct VlanParent {
        var ref: LinkRef
        var link: LinkInfo?
    }

    func vlanSteps(_ iface: Interface, container c: Container, parent: String, id: Int, proto: VLANProtocol, ns: NamespaceRef,
                   inner: inout NamespaceSnapshot, path: String, into p: inout Phases) throws {
        let parentAt = try vlanParent(parent, of: iface.name, container: c, ns: ns, inner: inner, mtu: iface.mtu, path: path)
        let matches: (LinkInfo) -> Bool = { l in l.vlanID == id && l.vlanProtocol == proto }
        let onParent: (LinkInfo) -> Bool = { l in
            matches(l) && parentAt.link.map { l.peerIndex == $0.index && (l.linkNetnsID != nil) == (parentAt.ref.namespace != ns) } ?? false
        }
        p.links += strayLinks(kind: "vlan", container: c, planned: p, matches)
        let existing = inner.link(named: iface.name)
            ?? renamedLink(iface, kind: .vlan, container: c, ns: ns, inner: &inner, into: &p, matches)
        try refuseTakenVlan(parentAt, id: id, proto: proto, ns: ns, inner: inner, except: existing?.index, path: path)
        if let existing {
            try requireOwnedChild(existing, in: ns, kind: .vlan, path: path, declaredMAC: iface.mac ?? parentAt.link?.mac)
            if existing.kind == "vlan", onParent(existing) {
                p.settings += linkSettings(existing, in: ns, mtu: iface.mtu, mac: iface.mac)
                p.addresses += addressSteps(existing, desired: iface.addresses, snapshot: inner, in: ns)
                return
            }
            replace(existing, in: ns, inner: &inner, reason: "it is no longer VLAN \(id) (\(proto.rawValue)) of \(parent)", into: &p)
        }
        p.links.append(Step(.createVlan(VlanCreation(link: LinkRef(iface.name, in: ns), parent: parentAt.ref, id: id, proto: proto,
                                                     mac: iface.mac, parentMAC: parentMAC(parentAt, container: c), mtu: iface.mtu,
                                                     alias: alias, ipv6: usesIPv6(iface, of: c),
                                                     birth: BirthName(temporary: marks.temporaryName(for: iface.name, in: ns),
                                                     planned: parentAt.ref.namespace == .host && index.hostLinks[iface.name] != nil)))))
        p.addresses += iface.addresses.map { address(.add, $0, on: LinkRef(iface.name, in: ns)) }
    }

    /// An interface of the same container (made first by this plan, or there already), else
    /// a link of the host (or a bridge this plan creates), else one already in the container.
    func vlanParent(_ parent: String, of name: String, container c: Container, ns: NamespaceRef, inner: NamespaceSnapshot,
                    mtu: Int?, path: String) throws -> VlanParent {
        let found: VlanParent
        if c.hasSibling(parent, of: name) {
            found = VlanParent(ref: LinkRef(parent, in: ns, index: inner.link(named: parent)?.index), link: inner.link(named: parent))
        } else if let host = index.hostLinks[parent] {
            found = VlanParent(ref: LinkRef(parent, index: host.index), link: host)
        } else if layer.managesHost && manifest.bridges.contains(where: { $0.name == parent }) {
            found = VlanParent(ref: LinkRef(parent), link: nil)
        } else if parent != name, let there = inner.link(named: parent) {
            found = VlanParent(ref: LinkRef(parent, in: ns, index: there.index), link: there)
        } else {
            throw error("\(path).vlan.parent", "parent \(parent) is neither an interface of container \(c.name) nor a link of the host namespace or of \(ns)")
        }
        if let mtu, let l = found.link, mtu > l.mtu {
            throw error("\(path).mtu", "MTU \(mtu) is above its parent \(parent)'s MTU \(l.mtu): a VLAN cannot carry more than its parent")
        }
        return found
    }

    /// The parent's MAC as far as the plan knows it: seen, or the mark MAC of a bridge this
    /// plan creates; nil for an interface the plan moves in or makes (then only the alias,
    /// set right after creation, tells the VLAN).
    func parentMAC(_ parent: VlanParent, container c: Container) -> MACAddress? {
        if let l = parent.link { return l.mac }
        return parent.ref.namespace == .host ? marks.mac(for: parent.ref.name) : nil
    }

    /// The kernel allows one VLAN per parent, protocol and id (EEXIST): one there already
    /// that is not this interface's — anyone's — refuses the plan, naming it.
    func refuseTakenVlan(_ parent: VlanParent, id: Int, proto: VLANProtocol, ns: NamespaceRef, inner: NamespaceSnapshot,
                         except mine: Int?, path: String) throws {
        guard let p = parent.link else { return }
        let siblings: [(ns: NamespaceRef, link: LinkInfo)] = parent.ref.namespace == .host
            ? children(ofHostLink: p.index)
            : inner.links.filter { $0.peerIndex == p.index && $0.linkNetnsID == nil }.map { (ns, $0) }
        guard let taken = siblings.first(where: { s in
            s.link.kind == "vlan" && s.link.vlanID == id && s.link.vlanProtocol == proto && !(s.ns == ns && s.link.index == mine)
                && !(s.ns == .host && s.link.alias == alias)   // ours moved out: deleted by this plan
        }) else { return }
        throw error("\(path).vlan.id", "\(p.name) already has VLAN \(id) (\(proto.rawValue)): \(taken.link.name)\(taken.ns == .host ? "" : " in \(taken.ns)"); the kernel allows one per parent, protocol and id")
    }
}
