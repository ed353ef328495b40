import PlumbNetlink
import PlumbTypes

/// What the kernel does to links by itself: a veth's peer goes with it, a bridge's
/// ports are released when it goes, a link that goes down loses its IPv4 routes, a
/// route whose gateway no address of its link reaches any more is dropped, a link
/// that changes namespace loses its addresses and comes down.
extension FakeKernel {
    func link(_ id: FakeLinkID) -> FakeLink? { namespaces[id.ns]?.links[id.index] }

    func update(_ id: FakeLinkID, _ body: (inout FakeLink) -> Void) {
        guard let ns = namespaces[id.ns], var l = ns.links[id.index] else { return }
        body(&l)
        ns.links[id.index] = l
    }

    /// IFF_UP. Down drops the link's IPv4 routes (fib_sync_down_dev); the first up of
    /// `lo` gives it 127.0.0.1/8; a VF's netdev coming up takes the MAC its PF assigned
    /// (igbvf reads it at reset).
    func setUp(_ id: FakeLinkID, _ up: Bool) {
        guard let ns = namespaces[id.ns], let l = ns.links[id.index], l.up != up else { return }
        ns.links[id.index]!.up = up
        if up, let vf = l.vf, let assigned = pfs[vf.pf]?.settings.first(where: { $0.index == vf.index })?.mac {
            ns.links[id.index]!.mac = assigned
        }
        if !up { ns.routes.removeAll { $0.index == id.index && $0.destination.family == .v4 } }
        if up && l.isLoopback && !ns.addresses.contains(where: { $0.index == id.index }) {
            ns.addresses.append(AddressInfo(index: id.index, prefix: IPPrefix("127.0.0.1/8")!, scope: 254, flags: Self.permanent))
        }
    }

    /// Removes a link with everything that hangs on it; a veth takes its peer along.
    func removeLink(_ id: FakeLinkID) {
        guard let ns = namespaces[id.ns], let l = ns.links.removeValue(forKey: id.index) else { return }
        forget(id, in: ns)
        if l.kind == "bridge" {
            for (i, port) in ns.links where port.master == id.index { ns.links[i]!.master = nil }
        }
        ns.adjustBridgeMTUs()
        if let peer = l.peer { removeLink(peer) }
        removeMacvlans(on: id)
    }

    /// A parent that goes takes its macvlans, ipvlans and VLANs along, in whatever namespace they are.
    func removeMacvlans(on parent: FakeLinkID) {
        for ns in namespaces.values {
            for (i, l) in ns.links where l.lower == parent { removeLink(FakeLinkID(ns: ns.id, index: i)) }
        }
    }

    /// The addresses, routes and neighbours of a link leaving its namespace.
    func forget(_ id: FakeLinkID, in ns: FakeNamespace) {
        ns.addresses.removeAll { $0.index == id.index }
        ns.routes.removeAll { $0.index == id.index }
        ns.neighbours.removeAll { $0.index == id.index }
    }

    /// `ip link set dev X netns NS name NAME`: down, unenslaved, addresses flushed; keeps
    /// its ifindex when it is free there. Returns where it is now.
    @discardableResult
    func move(_ id: FakeLinkID, to target: FakeNamespace, name: String) -> FakeLinkID {
        guard let source = namespaces[id.ns], var l = source.links[id.index] else { return id }
        setUp(id, false)
        l = source.links.removeValue(forKey: id.index)!
        forget(id, in: source)
        if l.kind == "bridge" {
            for (i, port) in source.links where port.master == id.index { source.links[i]!.master = nil }
        }
        source.adjustBridgeMTUs()
        l.up = false
        l.master = nil
        l.name = target.freeName(name)
        l.index = target.allocateIndex(preferring: id.index)
        target.links[l.index] = l
        let now = FakeLinkID(ns: target.id, index: l.index)
        if let peer = l.peer { update(peer) { $0.peer = now } }
        return now
    }

    /// Deleting an address drops the link's routes whose gateway no remaining address reaches.
    func dropUnreachableRoutes(_ id: FakeLinkID) {
        guard let ns = namespaces[id.ns] else { return }
        let left = ns.addresses.filter { $0.index == id.index }.map(\.prefix)
        ns.routes.removeAll { r in
            guard r.index == id.index, let gw = r.gateway, !FakeLinks.linkLocal.contains(gw) else { return false }
            return !left.contains { $0.contains(gw) }
        }
    }

    /// LOWER_UP: a veth when both ends are up, a bridge when one of its ports has
    /// carrier, a VF when its PF is up and its link state is not disabled, a NIC when up.
    func carrier(_ id: FakeLinkID) -> Bool {
        guard let l = link(id), l.up else { return false }
        if l.isLoopback { return true }
        switch l.kind {
        case "veth": return l.peer.flatMap(link)?.up ?? false
        case "macvlan", "ipvlan", "vlan": return l.lower.map(carrier) ?? false
        case "bridge":
            return namespaces[id.ns]!.links.values.contains { $0.master == id.index && carrier(FakeLinkID(ns: id.ns, index: $0.index)) }
        default:
            guard let vf = l.vf else { return true }
            guard let pf = pfs[vf.pf], let pfLink = host.link(named: vf.pf), pfLink.up else { return false }
            return pf.settings.first { $0.index == vf.index }?.linkState != .disable
        }
    }

    /// The link as `ip -d -s link show` reports it.
    func info(_ l: FakeLink, in ns: Int) -> LinkInfo {
        let id = FakeLinkID(ns: ns, index: l.index)
        let carrier = carrier(id)
        return LinkInfo(index: l.index, name: l.name, kind: l.kind, master: l.master, mtu: l.mtu, up: l.up,
                        carrier: carrier, operUp: carrier && !l.isLoopback, mac: l.mac, alias: l.alias,
                        peerIndex: (l.peer ?? l.lower)?.index,
                        linkNetnsID: (l.peer ?? l.lower).flatMap { $0.ns == ns ? nil : namespaces[ns]!.nsid(of: $0.ns) },
                        txqlen: l.txqlen, macvlanMode: l.macvlanMode, ipvlanMode: l.ipvlanMode, ipvlanFlag: l.ipvlanFlag, vlanID: l.vlanID,
                        vlanProtocol: l.vlanProtocol, stats: l.stats)
    }

    /// The main table as a dump lists it: by family, then destination (a trie walk), then metric.
    func mainTable(_ ns: FakeNamespace) -> [RouteInfo] {
        (connectedRoutes(ns) + ns.routes).sorted { a, b in
            let x = (a.destination.family.rawValue, a.destination.network.address, a.destination.length, a.metric)
            let y = (b.destination.family.rawValue, b.destination.network.address, b.destination.length, b.metric)
            return x < y
        }
    }

    /// Connected routes: one per address on an up link (not lo), as the kernel adds them.
    func connectedRoutes(_ ns: FakeNamespace) -> [RouteInfo] {
        var out: [RouteInfo] = []
        for a in ns.addresses where a.scope == 0 {
            guard let l = ns.links[a.index], l.up, !l.isLoopback else { continue }
            let r = RouteInfo(destination: a.prefix.network, index: a.index, metric: a.prefix.family == .v4 ? 0 : 256, proto: 2)
            if !out.contains(r) { out.append(r) }
        }
        return out
    }
}
