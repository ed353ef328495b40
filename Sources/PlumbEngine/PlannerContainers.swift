import PlumbManifest
import PlumbNetlink

extension Planner {
    func containerSteps(_ c: Container, index ci: Int, into p: inout Phases) throws {
        let path = "containers[\(ci)]"
        guard let ref = c.netns else {
            throw error("\(path).netns", "container \(c.name) has no netns (only the OCI hook may leave it out)")
        }
        let ns = ref.key
        let snapshot = observed.namespaces[ns]
        if snapshot == nil {
            guard case .named(let name) = ref else {
                throw error("\(path).netns", "network namespace \(ref.path) does not exist")
            }
            let v6 = c.interfaces.contains { $0.addresses.contains { $0.family == .v6 } }
            p.namespaces.append(Step(.createNamespace, name, v6 ? [:] : ["ipv6": "off"]))
        }
        let inner = snapshot ?? NamespaceSnapshot()
        // A namespace Plumb created gets lo up; down is drift (a create killed
        // between the mount and `lo up` leaves exactly that).
        if case .named(let name) = ref, record.namespaces.contains(name), let lo = inner.link(named: "lo"), !lo.up {
            p.settings.append(Step(.setLink, "lo", in: ns, ["up": "true", "reason": "lo is down in a namespace plumb created"]))
        }
        for (ii, iface) in c.interfaces.enumerated() {
            let ipath = "\(path).interfaces[\(ii)]"
            switch iface.kind {
            case .veth(let bridge, _):
                try vethSteps(iface, container: c, bridge: bridge, ns: ns, inner: inner, path: ipath, into: &p)
            case .vf(let nic, let index):
                try vfSteps(iface, nic: nic, index: index, ns: ns, inner: inner, path: ipath, into: &p)
            }
        }
        if !c.ports.isEmpty && NATDesign.bridgedIPv4(c, manifest) == nil {
            throw error("\(path).ports", "container \(c.name) has no IPv4 address on a bridge to forward ports to")
        }
        // Deleting the address that reaches a route's gateway takes the route along in
        // the kernel: such a route is planned again, after the new address.
        let deleted = p.addresses.filter { $0.action == .deleteAddress && $0.namespace == ns }
            .compactMap { s in s["prefix"].flatMap { IPPrefix($0) }.map { (s.object, $0) } }
        p.routes += try routeSteps(c, ns: ns, inner: inner, path: path, deleted: deleted)
    }

    func vethSteps(_ iface: Interface, container c: Container, bridge: String, ns: NamespaceKey,
                   inner: NamespaceSnapshot, path: String, into p: inout Phases) throws {
        let hostName = iface.hostSideName(container: c.name)
        let hostLink = observed.host.link(named: hostName)
        let peer = inner.link(named: iface.name)
        if let peer, let hostLink, isPair(hostLink, peer) {
            try requireOwned(hostLink, in: hostNamespace, path: "\(path).veth.hostName")
            try requireOwned(peer, in: ns, path: "\(path).name")
            p.settings += hostEndSettings(hostLink, bridge: bridge, mtu: iface.mtu)
            p.settings += linkSettings(peer, in: ns, mtu: iface.mtu, mac: iface.mac)
            p.addresses += addressSteps(peer, desired: iface.addresses, snapshot: inner, in: ns)
            return
        }
        // Half a pair, or a link of another kind with our name: replace it if it is
        // ours, refuse otherwise.
        if let hostLink {
            try requireOwned(hostLink, in: hostNamespace, path: "\(path).veth.hostName")
            p.links.append(Step(.deleteLink, hostName, ["reason": "its peer is missing"]))
        }
        if let peer {
            try requireOwned(peer, in: ns, path: "\(path).name")
            p.links.append(Step(.deleteLink, iface.name, in: ns, ["reason": "its host end is missing"]))
        }
        var f = ["bridge": bridge, "peer": iface.name, "peerNamespace": ns, "alias": alias]
        if let m = iface.mtu { f["mtu"] = String(m) }
        p.links.append(Step(.createVeth, hostName, f))
        var peerSet = ["up": "true", "alias": alias]
        if let m = iface.mac { peerSet["mac"] = m.description }
        p.settings.append(Step(.setLink, iface.name, in: ns, peerSet))
        p.addresses += iface.addresses.map { Step(.addAddress, iface.name, in: ns, ["prefix": $0.description]) }
    }

    /// Both ends exist; they are one pair when the host end's IFLA_LINK is the peer.
    func isPair(_ host: LinkInfo, _ peer: LinkInfo) -> Bool {
        host.kind == "veth" && peer.kind == "veth" && host.peerIndex == peer.index && peer.peerIndex == host.index
    }

    func hostEndSettings(_ l: LinkInfo, bridge: String, mtu: Int?) -> [Step] {
        var steps = linkSettings(l, in: hostNamespace, mtu: mtu, mac: nil)
        let masterName = l.master.flatMap { observed.host.link(index: $0)?.name }
        if masterName != bridge {
            steps.append(Step(.setLink, l.name, ["master": bridge, "reason": "enslaved to \(masterName ?? "no bridge")"]))
        }
        return steps
    }

    /// Declared routes that are missing. Routes the manifest does not mention are
    /// left alone: a container's other routes may belong to someone else.
    func routeSteps(_ c: Container, ns: NamespaceKey, inner: NamespaceSnapshot, path: String,
                    deleted: [(String, IPPrefix)] = []) throws -> [Step] {
        try c.routes.enumerated().compactMap { (ri, r) in
            guard let dev = device(for: r, in: c) else {
                throw error("\(path).routes[\(ri)]", "no interface of container \(c.name) reaches \(r.via?.description ?? "the destination")")
            }
            let metric = r.metric ?? 0
            let present = !loses(r.via, on: dev, deleted: deleted, inner: inner) && inner.routes.contains { o in
                o.destination.network == r.to.network && o.gateway == r.via && o.metric == metric
                    && o.index.flatMap { inner.link(index: $0)?.name } == dev
            }
            if present { return nil }
            var f = ["to": r.to.network.description, "metric": String(metric)]
            if let v = r.via { f["via"] = v.description }
            return Step(.addRoute, dev, in: ns, f)
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

    /// The route's interface: `dev`, else the one whose subnet holds the gateway.
    func device(for r: Route, in c: Container) -> String? {
        if let d = r.dev { return d }
        guard let via = r.via else { return nil }
        return c.interfaces.first { $0.addresses.contains { $0.contains(via) } }?.name
    }
}

extension Interface {
    /// The host end's name of a veth: `hostName`, else derived (≤ 15 bytes).
    public func hostSideName(container: String) -> String {
        if case .veth(_, let h?) = kind { return h }
        return vethHostName(container: container, interface: name)
    }
}
