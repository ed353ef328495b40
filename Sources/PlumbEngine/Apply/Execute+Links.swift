import PlumbNetlink
import PlumbSystem
import PlumbTypes

extension Applier {
    /// The link a step names, read fresh, with its namespace's handle; nil when it is
    /// not there. A link that is there but lacks the step's proof is refused.
    func resolve(_ ref: LinkRef, _ proof: LinkProof) throws -> (ops: any LinkOps, link: LinkInfo)? {
        let ops = try kernel.links(in: ref.namespace)
        let found: LinkInfo?
        if let index = ref.index {
            // Addressed by ifindex: a link renamed since the plan is not the one planned for.
            found = try ops.link(index: index).flatMap { $0.name == ref.name ? $0 : nil }
        } else {
            found = try ops.link(name: ref.name)
        }
        guard let link = found else { return nil }
        guard proof.holds(for: link) else {
            throw OwnershipError(object: "\(ref)", reason: "it does not carry plumb's mark (\(proof)), alias \(link.alias.map { "\"\($0)\"" } ?? "none")")
        }
        return (ops, link)
    }

    /// `resolve`, for a step that needs the link to be there.
    func require(_ ref: LinkRef, _ proof: LinkProof, _ operation: String) throws -> (ops: any LinkOps, link: LinkInfo) {
        guard let r = try resolve(ref, proof) else {
            throw NetlinkError(operation: operation, object: "\(ref.name) in \(ref.namespace)", errno: .noDevice)
        }
        return r
    }

    func createBridge(_ b: BridgeCreation) throws {
        let host = try kernel.links(in: .host)
        try host.createBridge(CreateBridge(name: b.name, mtu: b.mtu, mac: b.mac))
        // The kernel takes no alias at creation: the MAC is the mark until this lands.
        let (_, link) = try require(LinkRef(b.name), .owner(alias: "", mac: b.mac), "RTM_GETLINK")
        try host.setLink(SetLink(index: link.index, alias: b.alias, up: true))
    }

    /// One RTM_NEWLINK makes the pair (peer born in its namespace, host end enslaved and
    /// carrying its mark MAC); then each end gets its alias and comes up. The host end
    /// gets no IPv6 at all (before it is up): a bridge port is layer 2 only.
    func createVeth(_ v: VethCreation) throws {
        let host = try kernel.links(in: .host)
        let (_, bridge) = try require(LinkRef(v.bridge), .declaredByName, "RTM_GETLINK")
        try host.createVeth(VethRequest(hostName: v.hostName, hostMAC: v.hostMAC, masterIndex: bridge.index,
                                        peerName: v.peer.name, peerMAC: v.peerMAC, peerNamespace: v.peer.namespace, mtu: v.mtu))
        let (_, hostEnd) = try require(LinkRef(v.hostName), .owner(alias: "", mac: v.hostMAC), "RTM_GETLINK")
        // procfs knows links by name only: the name was proven to be this new link just above.
        try kernel.proc.disableIPv6(link: v.hostName)
        try host.setLink(SetLink(index: hostEnd.index, alias: v.alias, up: true))
        let peerOps = try kernel.links(in: v.peer.namespace)
        guard let peer = try peerOps.link(name: v.peer.name), peer.kind == "veth" else {
            throw NetlinkError(operation: "RTM_GETLINK", object: "\(v.peer.name) in \(v.peer.namespace)", errno: .noDevice)
        }
        try peerOps.setLink(SetLink(index: peer.index, alias: v.alias, noIPv6Addresses: !v.peerIPv6))
        try peerOps.setLink(SetLink(index: peer.index, up: true))
    }

    /// Applies up/mtu/mac/alias/master to a link that still carries its proof.
    func setLink(_ u: LinkUpdate) throws {
        let (ops, link) = try require(u.link, u.proof, "RTM_NEWLINK")
        var req = SetLink(index: link.index, name: u.to.name, mtu: u.to.mtu, mac: u.to.mac, alias: u.to.alias, up: u.to.up)
        switch u.to.master {
        case .none?: req.masterIndex = 0   // IFLA_MASTER 0 unenslaves: `ip link set dev X nomaster`
        case .bridge(let b)?: req.masterIndex = try require(LinkRef(b), .declaredByName, "RTM_GETLINK").link.index
        case nil: break
        }
        try ops.setLink(req)
    }

    /// Deletes a link that still carries its proof; one already gone (with its peer or
    /// its namespace, which the kernel removes asynchronously) has reached its goal.
    func deleteLink(_ d: LinkDeletion) throws {
        guard let (ops, link) = try resolve(d.link, d.proof) else { return }
        do { try ops.deleteLink(index: link.index, name: link.name) } catch let e as NetlinkError where e.errno == .noDevice {
            return
        }
    }

    func addAddress(_ a: AddressChange) throws {
        let (ops, link) = try require(a.link, a.proof, "RTM_NEWADDR")
        try ops.addAddress(a.prefix, index: link.index, name: link.name)
    }

    /// An address already gone is the goal reached (EADDRNOTAVAIL): an undo must not call
    /// itself incomplete because someone removed the address first.
    func deleteAddress(_ a: AddressChange) throws {
        let (ops, link) = try require(a.link, a.proof, "RTM_DELADDR")
        do {
            try ops.deleteAddress(a.prefix, index: link.index, name: link.name)
        } catch let e as NetlinkError where e.errno == .addressNotAvailable {
            return
        }
    }

    func addRoute(_ r: RouteChange) throws {
        let (ops, link) = try require(r.link, r.proof, "RTM_NEWROUTE")
        do {
            try ops.addRoute(r.route.info(index: link.index), deviceName: link.name)
        } catch let e as NetlinkError where e.errno == .exists && r.ifAbsent {
            return   // the kernel kept it: nothing to put back
        }
    }

    /// A rule is removed only while the kernel shows it as Plumb's (`proto 126`); one already
    /// gone has reached its goal.
    func deleteRule(_ r: RuleChange) throws {
        let ops = try kernel.links(in: r.namespace)
        guard let found = try ops.rules().first(where: { $0.matches(r.rule) && $0.proto == RuleInfo.plumbProtocol }) else { return }
        try ops.deleteRule(found)
    }

    func deleteRoute(_ r: RouteChange) throws {
        let (ops, link) = try require(r.link, r.proof, "RTM_DELROUTE")
        try ops.deleteRoute(r.route.info(index: link.index), deviceName: link.name)
    }
}

extension RouteSpec {
    func info(index: Int) -> RouteInfo { RouteInfo(destination: to, gateway: via, index: index, metric: metric, table: table) }
}

extension LinkProof: CustomStringConvertible {
    /// Does the link, as read now, carry this proof?
    func holds(for link: LinkInfo) -> Bool {
        switch self {
        case .owner(let alias, let mac):
            return (!alias.isEmpty && link.alias == alias) || (mac != nil && link.mac == mac)
        case .namespaceLoopback(let alias): return link.alias == alias
        case .declaredByName: return true
        }
    }

    public var description: String {
        switch self {
        case .owner(let alias, let mac): return alias.isEmpty ? "MAC \(mac?.description ?? "?")" : "alias \"\(alias)\""
        case .namespaceLoopback(let alias): return "lo alias \"\(alias)\""
        case .declaredByName: return "declared by name"
        }
    }
}
