import PlumbManifest
import PlumbNetlink
import PlumbTypes

extension Planner {
    func containerSteps(_ c: Container, index ci: Int, into p: inout Phases) throws {
        let path = "containers[\(ci)]"
        guard let ns = c.netns else {
            throw error("\(path).netns", "container \(c.name) has no netns (only the OCI hook may leave it out)")
        }
        var inner: NamespaceSnapshot
        switch try namespaceStatus(ns, path: "\(path).netns") {
        case .absent:
            guard case .named(let name) = ns else {
                throw error("\(path).netns", "\(ns) (\(ns.path ?? "?")) does not exist")
            }
            if let why = placeholderProblem(name) { throw error("\(path).netns", why) }
            p.namespaces.append(Step(.createNamespace(NamespaceCreation(name: name, mark: marks.namespaceAlias,
                                                                        replacesPlaceholder: observed.placeholders.contains(name)))))
            inner = NamespaceSnapshot()
        case .created(let seen):
            inner = seen.snapshot ?? NamespaceSnapshot()
            // A namespace Plumb created has lo up; down is drift (what a kill between the
            // bind mount and `lo up` once left).
            if let lo = inner.link(index: 1), !lo.up {
                p.settings.append(Step(.setLink(LinkUpdate(link: LinkRef("lo", in: ns, index: 1), proof: .namespaceLoopback(alias: lo.alias ?? ""),
                                                           to: LinkSettings(up: true), from: LinkSettings(up: false))),
                                       reason: "lo is down in a namespace plumb created"))
            }
        case .used(let seen):
            inner = seen.snapshot ?? NamespaceSnapshot()
        }
        let firstAddressStep = p.addresses.count
        for (ii, iface) in c.interfaces.enumerated() {
            let ipath = "\(path).interfaces[\(ii)]"
            switch iface.kind {
            case .veth(let bridge, _):
                try vethSteps(iface, container: c, bridge: bridge, ns: ns, inner: inner, path: ipath, into: &p)
            case .vf(let nic, let index):
                try vfSteps(iface, nic: nic, index: index, ns: ns, inner: inner, path: ipath, into: &p)
            case .userspaceVF(let nic, let index, let driver):
                try userspaceVFSteps(nic: nic, index: index, driver: driver, path: ipath, into: &p)
            case .macvlan(let parent, let mode):
                try macvlanSteps(iface, container: c, parent: parent, mode: mode, ns: ns, inner: &inner, path: ipath, into: &p)
            case .ipvlan(let parent, let mode, let flag):
                try ipvlanSteps(iface, container: c, parent: parent, mode: mode, flag: flag, ns: ns, inner: &inner, path: ipath, into: &p)
            case .vlan(let parent, let id, let proto):
                try vlanSteps(iface, container: c, parent: parent, id: id, proto: proto, ns: ns, inner: &inner, path: ipath, into: &p)
            }
        }
        if !c.ports.isEmpty && NATDesign.bridgedPrimary(c, manifest) == nil {
            throw error("\(path).ports", "container \(c.name) has no IPv4 or global IPv6 address on a bridge to forward ports to")
        }
        // Deleting the address that reaches a route's gateway takes the route along in
        // the kernel: such a route is planned again, after the new address. (Only this
        // container's steps: scanning every earlier container's made planning quadratic.)
        let deleted: [(String, IPPrefix)] = p.addresses[firstAddressStep...].compactMap { s in
            guard case .deleteAddress(let a) = s.action, a.link.namespace == ns else { return nil }
            return (a.link.name, a.prefix)
        }
        p.routes += try routeSteps(c, ns: ns, inner: inner, path: path, deleted: deleted)
        p.rules += ruleSteps(c, ns: ns, inner: inner)
    }

    /// A file under /run/netns that is not a namespace is someone's, unless it is what a
    /// create of ours left when it was killed before its bind mount.
    func placeholderProblem(_ name: String) -> String? {
        guard observed.placeholders.contains(name) else { return nil }
        if record.namespace(.named(name))?.created == true { return nil }
        return "/run/netns/\(name) exists and is not a network namespace (a plain file someone else made); plumb will not replace it"
    }

    func vethSteps(_ iface: Interface, container c: Container, bridge: String, ns: NamespaceRef,
                   inner: NamespaceSnapshot, path: String, into p: inout Phases) throws {
        let hostName = iface.hostSideName(container: c.name)
        let peer = inner.link(named: iface.name)
        let hostLink = index.hostLinks[hostName] ?? peer.flatMap { renamedHostEnd(hostName, peer: $0, into: &p) }
        if let peer, let hostLink, isPair(hostLink, peer) {
            try requireOwned(hostLink, in: .host, kind: .veth, path: "\(path).veth.hostName")
            try requireOwned(peer, in: ns, kind: .vethPeer, path: "\(path).name", declaredMAC: iface.mac)
            p.settings += linkSettings(hostLink, in: .host, mtu: iface.mtu, mac: nil, master: .bridge(bridge))
            p.settings += linkSettings(peer, in: ns, mtu: iface.mtu, mac: iface.mac)
            p.addresses += addressSteps(peer, desired: iface.addresses, snapshot: inner, in: ns)
            return
        }
        // Half a pair, or a link of another kind with our name: replace it if it is
        // ours, refuse otherwise.
        if let hostLink {
            try requireOwned(hostLink, in: .host, kind: .veth, path: "\(path).veth.hostName")
            p.links.append(Step(.deleteLink(LinkDeletion(link: LinkRef(hostName, index: hostLink.index),
                                                         proof: .owner(alias: hostLink.alias ?? "", mac: hostLink.mac))),
                                reason: "its peer is missing"))
        }
        if let peer {
            try requireOwned(peer, in: ns, kind: .vethPeer, path: "\(path).name", declaredMAC: iface.mac)
            p.links.append(Step(.deleteLink(LinkDeletion(link: LinkRef(iface.name, in: ns, index: peer.index),
                                                         proof: .owner(alias: peer.alias ?? "", mac: peer.mac))),
                                reason: "its host end is missing"))
        }
        p.links.append(Step(.createVeth(VethCreation(hostName: hostName, hostMAC: marks.mac(for: hostName), bridge: bridge,
                                                     peer: LinkRef(iface.name, in: ns),
                                                     peerMAC: iface.mac ?? marks.mac(for: iface.name, in: ns), mtu: iface.mtu,
                                                     alias: alias, peerIPv6: usesIPv6(iface, of: c)))))
        p.addresses += iface.addresses.map { address(.add, $0, on: LinkRef(iface.name, in: ns)) }
    }

    /// The container's end keeps IPv6 (its link-local address, ND) when the manifest uses
    /// IPv6 on it: an IPv6 address, or an IPv6 route through it (say via `fe80::1`).
    func usesIPv6(_ iface: Interface, of c: Container) -> Bool {
        iface.addresses.contains { $0.family == .v6 }
            || c.routes.contains { $0.to.family == .v6 && c.device(for: $0) == iface.name }
    }

    /// The host end of `peer`'s pair under another name: a veth of ours that someone
    /// renamed. It gets its name back by ifindex (its routes and port stay).
    func renamedHostEnd(_ hostName: String, peer: LinkInfo, into p: inout Phases) -> LinkInfo? {
        guard index.recordLink(hostName, in: .host)?.kind == .veth,
              var l = observed.host.links.first(where: { l in
                  l.kind == "veth" && l.name != hostName && isPair(l, peer)
                      && marks.marks(l.marks, in: .host, declaredMAC: marks.mac(for: hostName))
              }) else { return nil }
        p.renames.append(rename(l, to: hostName, in: .host))
        l.name = hostName
        return l
    }

    /// Both ends exist; they are one pair when the host end's IFLA_LINK is the peer.
    func isPair(_ host: LinkInfo, _ peer: LinkInfo) -> Bool {
        host.kind == "veth" && peer.kind == "veth" && host.peerIndex == peer.index && peer.peerIndex == host.index
    }

    /// Declared routes that are missing. Routes the manifest does not mention are left
    /// alone: a container's other routes may belong to someone else.
    func routeSteps(_ c: Container, ns: NamespaceRef, inner: NamespaceSnapshot, path: String,
                    deleted: [(String, IPPrefix)] = []) throws -> [Step] {
        // The declared routes and, past them, those `sourceRouting` builds (their paths name the interface).
        try c.effectiveRoutes.enumerated().compactMap { (ri, r) in
            guard let dev = c.device(for: r) else {
                throw error("\(path).routes[\(ri)]", "no interface of container \(c.name) reaches \(r.via?.description ?? "the destination")")
            }
            let present = !loses(r.via, on: dev, deleted: deleted, inner: inner) && inner.route(r, on: dev) != nil
            if present { return nil }
            let link = LinkRef(dev, in: ns)
            return Step(.addRoute(RouteChange(link: link, proof: proof(dev),
                                              route: RouteSpec(to: r.to.network, via: r.via, metric: r.kernelMetric, table: r.kernelTable))))
        }
    }

    /// True when the planned deletions remove every address of `dev` whose subnet
    /// holds the gateway `via`.
    func loses(_ via: IPAddress?, on dev: String, deleted: [(String, IPPrefix)], inner: NamespaceSnapshot) -> Bool {
        guard let via, let link = inner.link(named: dev) else { return false }
        let gone = deleted.filter { $0.0 == dev }.map(\.1)
        guard gone.contains(where: { $0.contains(via) }) else { return false }
        return !inner.addresses(of: link.index).contains { !gone.contains($0) && $0.contains(via) }
    }
}

extension Interface {
    /// The host end's name of a veth: `hostName`, else derived (≤ 15 bytes).
    public func hostSideName(container: String) -> String {
        switch kind {
        case .veth(_, let h?): return h
        case .veth(_, nil), .vf, .userspaceVF, .macvlan, .ipvlan, .vlan: return vethHostName(container: container, interface: name)
        }
    }
}
