import PlumbFirewall
import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// An outside network's namespace and its route socket, held by LinuxKernel only.
final class LinuxOutside {
    let namespace: NetworkNamespace
    let socket: RouteSocket
    init(namespace: NetworkNamespace, socket: RouteSocket) { self.namespace = namespace; self.socket = socket }
}

extension LinuxKernel {
    public func prepareOutside(mark: String) {
        guard preparedOutside == nil else { return }
        preparedOutside = (try? NetnsThread.startInNewNamespace { try Self.outsideNamespace(mark: mark) }).map { (mark, $0) }
    }

    /// Run on the new namespace's thread: its route socket, `lo` up and marked.
    static func outsideNamespace(mark: String) throws -> (RouteSocket, NetworkNamespace) {
        let s = try RouteSocket(label: "the outside network")
        try s.execute(SetLink(index: 1, alias: mark, up: true))
        return (s, try NetworkNamespace.open(path: "/proc/thread-self/ns/net"))
    }

    public func createOutside(_ r: OutsideRequest) throws -> OutsideNetwork {
        // Anonymous: only this descriptor holds it, so if Plumb dies the kernel deletes
        // the namespace and with it both ends of the veth — nothing is left behind.
        let prepared = preparedOutside
        preparedOutside = nil
        // A prepared namespace that failed is made again here, where its error is thrown.
        let (socket, ns) = try prepared.flatMap { $0.mark == r.mark ? try? $0.started.join() : nil }
            ?? NetnsThread.runInNewNamespace { try Self.outsideNamespace(mark: r.mark) }
        Trace.mark("outside: namespace made")
        try hostSocket.execute(CreateVeth(hostName: r.hostName, peerName: "eth0", peerNamespaceFD: ns.fd, hostUp: false,
                                          hostMAC: r.hostMAC))
        do {
            guard let end = try hostSocket.link(name: r.hostName), let peer = try socket.link(name: "eth0") else {
                throw SystemError("RTM_GETLINK", "\(r.hostName) just created", .noDevice)
            }
            // addrgenmode before up (docs/ARCHITECTURE.md §6): no IPv6 link-local, no DAD, no MLD.
            try hostSocket.execute(SetLink(index: end.index, alias: r.mark, noIPv6Addresses: true))
            try hostSocket.execute(SetLink(index: end.index, up: true))
            try socket.execute(SetLink(index: peer.index, noIPv6Addresses: true))
            try socket.execute(SetLink(index: peer.index, up: true))
            try hostSocket.addAddress(r.hostAddress, index: end.index, name: r.hostName)
            try socket.addAddress(r.address, index: peer.index, name: "eth0")
            if let v6 = r.v6 {
                // nodad: the two ends are alone on the link, and a tentative address could not be bound for a second.
                try hostSocket.addAddress(v6.host, index: end.index, name: r.hostName, noDAD: true)
                try socket.addAddress(v6.outside, index: peer.index, name: "eth0", noDAD: true)
            }
            // The end brought up first gets its queueing discipline only when the kernel's
            // linkwatch work (global, rate-limited: up to a second) sees the carrier; until
            // then it drops everything it sends — the ARP reply first. Operstate UP is set
            // by that same work: wait for it on both ends.
            Trace.mark("outside: veth made, addressed, up")
            let ready = try Poll.until(timeout: .seconds(3), interval: .milliseconds(2)) { () throws -> Bool? in
                try hostSocket.link(index: end.index)?.operUp == true && socket.link(index: peer.index)?.operUp == true ? true : nil
            }
            if ready == nil { throw SystemError("wait for operstate UP", "\(r.hostName) and its peer", .timedOut) }
            let id = nextOutside
            nextOutside += 1
            outsides[id] = LinuxOutside(namespace: ns, socket: socket)
            return OutsideNetwork(id: id, hostName: r.hostName, hostIndex: end.index, hostAddress: r.hostAddress.address,
                                  address: r.address.address, hostAddress6: r.v6?.host.address, address6: r.v6?.outside.address)
        } catch {
            if let end = try? hostSocket.link(name: r.hostName) { try? hostSocket.deleteLink(index: end.index, name: r.hostName) }
            throw error
        }
    }

    /// Closes the namespace's last references (its descriptor and its route socket): the
    /// kernel's netns cleanup then deletes the namespace and both ends of the veth (~17 ms
    /// here, where an RTM_DELLINK of the host end waits ~35 ms for RCU). `.awaited` waits
    /// until the host end is gone, so nothing of the outside outlives the verify that made it.
    public func removeOutside(_ o: OutsideNetwork, _ removal: OutsideRemoval) throws {
        guard outsides.removeValue(forKey: o.id) != nil else {
            throw SystemError("close", "outside network \(o.hostName)", .noEntry)
        }
        guard removal == .awaited else { return }
        let gone = try Poll.until(timeout: .seconds(5), interval: .milliseconds(1)) { () throws -> Bool? in
            try hostSocket.link(index: o.hostIndex) == nil ? true : nil
        }
        if gone == nil { throw SystemError("wait for the kernel to remove", o.hostName, .timedOut) }
    }

    func outsideNamespace(_ o: OutsideNetwork) throws -> NetworkNamespace {
        guard let n = outsides[o.id] else { throw SystemError("open", "outside network \(o.hostName)", .noEntry) }
        return n.namespace
    }

    public func conntrack(_ flow: FlowTuple) throws -> ConntrackEntry? { try ctSocket().entry(flow) }

    public func deleteConntrack(_ flow: FlowTuple) throws { try ctSocket().delete(flow) }

    func ctSocket() throws -> ConntrackSocket {
        if let s = conntrackSocket { return s }
        let s = try ConntrackSocket(label: "the host namespace")
        conntrackSocket = s
        return s
    }

    public func boundSockets() throws -> [BoundSocket] {
        if diagSocket == nil { diagSocket = try SockDiagSocket(label: "the host namespace") }
        return try diagSocket!.bound()
    }

    public func ruleset() throws -> Ruleset { try Ruleset(listingJSON: try nftables().listRulesetJSON()) }
}
