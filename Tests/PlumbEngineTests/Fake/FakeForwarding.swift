import Foundation
import PlumbEngine
import PlumbFirewall
import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// Transport exchanges, the verifier's outside network and conntrack on the fake kernel.
/// A forwarded packet follows the NAT rules of every table in the host namespace as
/// `nft list table` prints them: a prerouting DNAT sends it on, a postrouting masquerade
/// rewrites its source; it arrives only where a link holds the address it is sent to.
extension FakeKernel {
    func exchange(_ e: Exchange) throws -> ExchangeResult {
        guard !dropAll else { return ExchangeResult(delivery: .failed("connection timed out")) }
        switch (e.client, e.server) {
        case (.namespace(let client), .namespace(let server)): return try direct(e, from: client, to: server)
        case (.outside(let o), .namespace(let server)): return try forwarded(e, from: o, to: server)
        case (.namespace(let client), .outside(let o)): return try masqueraded(e, from: client, to: o)
        case (.outside, .outside): return ExchangeResult(delivery: .failed("not modeled"))
        }
    }

    /// Within one segment: from a container to a listener on an address of `server`.
    func direct(_ e: Exchange, from client: NamespaceRef, to server: NamespaceRef) throws -> ExchangeResult {
        let ns = try namespace(client)
        guard let (source, address) = route(in: ns, to: e.target), let answer = answerer(of: e.target, from: source),
              let target = answer, target.ns == (try namespace(server).id) else {
            return ExchangeResult(delivery: .failed("connection timed out"))
        }
        update(source) { $0.stats.rxPackets += 2; $0.stats.txPackets += 2 }
        learn(e.target, on: source, mac: link(target)?.mac)
        learn(address, on: target, mac: link(source)?.mac)
        let from = Endpoint(address, 40000)
        let segment = e.fullSegment ? ExchangeResult.FullSegment.arrived(bytes: pathMTU(source, target) - 40) : nil
        return ExchangeResult(delivery: .nonce(from: from), client: from, fullSegment: segment)
    }

    /// From the outside to the host's address: a prerouting DNAT of the port must send it
    /// to an address of `server` the host reaches, at the port Plumb listens on.
    func forwarded(_ e: Exchange, from o: OutsideNetwork, to server: NamespaceRef) throws -> ExchangeResult {
        // The family the client speaks is the target's: the host's IPv4 or IPv6 address.
        guard let ends = o.endpoints(e.target.family) else { return ExchangeResult(delivery: .failed("no address of that family")) }
        let client = Endpoint(ends.outside, 40001)
        let proto = e.proto.rawValue
        let marker = "\(proto) dport \(e.targetPort ?? 0) dnat \(e.target.family == .v6 ? "ip6" : "ip") to "
        guard let rule = natRules(hook: "prerouting").first(where: { $0.statement.contains(marker) }),
              let at = rule.statement.range(of: marker) else {
            return ExchangeResult(delivery: .failed(e.proto == .tcp ? "connection refused" : "no datagram arrived"), client: client)
        }
        // `10.88.0.2:80` or `[fd00::2]:80`.
        let text = String(rule.statement[at.upperBound...])
        guard let colon = text.lastIndex(of: ":"),
              let address = IPAddress(String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))),
              let port = Int(text[text.index(after: colon)...]) else {
            return ExchangeResult(delivery: .failed("unreadable rule"), client: client)
        }
        let flow = FlowTuple(e.proto, from: client, to: Endpoint(ends.host, e.targetPort ?? 0))
        conntrackTable[flow] = ConntrackEntry(original: flow, reply: FlowTuple(e.proto, from: Endpoint(address, port), to: client),
                                              status: 0x20)
        guard port == e.listenPort, let (source, _) = route(in: host, to: address),
              let answer = answerer(of: address, from: source), let target = answer, target.ns == (try namespace(server).id) else {
            return ExchangeResult(delivery: .failed("connection timed out"), client: client)
        }
        return ExchangeResult(delivery: .nonce(from: client), client: client)
    }

    /// From a container through its default gateway to the outside: the source the outside
    /// sees is the host's address where a postrouting masquerade covers the container's.
    func masqueraded(_ e: Exchange, from client: NamespaceRef, to o: OutsideNetwork) throws -> ExchangeResult {
        let ns = try namespace(client)
        guard let via = mainTable(ns).first(where: { $0.destination.contains(e.target) && $0.gateway != nil })?.gateway,
              let (source, address) = route(in: ns, to: via), let answer = answerer(of: via, from: source),
              let gateway = answer, gateway.ns == Self.hostID else {
            return ExchangeResult(delivery: .failed("no datagram arrived"))
        }
        let from = Endpoint(address, 40002)
        let masquerade = natRules(hook: "postrouting").contains { r in
            let w = r.statement.split(separator: " ")
            guard r.statement.hasSuffix("masquerade"), w.count > 2, w[1] == "saddr", let net = IPPrefix(String(w[2])) else { return false }
            return net.contains(address) && !r.statement.contains("ct status dnat")
        }
        let hostAddress = o.endpoints(e.target.family)?.host ?? o.hostAddress
        return ExchangeResult(delivery: .nonce(from: masquerade ? Endpoint(hostAddress, 40002) : from), client: from)
    }

    /// The rules of every nat chain on `hook`, in every table.
    func natRules(hook: String) -> [ObservedRule] {
        tables.values.compactMap(FakeListing.parse).flatMap { $0.chains.filter { $0.hook == hook && $0.type == "nat" } }.flatMap(\.rules)
    }

    /// `unshare -n` + a veth to the host, both ends addressed and up, `lo` marked.
    /// A hint only: the fake makes its outside at once in `createOutside`.
    func prepareOutside(mark: String) {}

    func createOutside(_ r: OutsideRequest) throws -> OutsideNetwork {
        guard host.link(named: r.hostName) == nil else { throw FakeError.netlink("RTM_NEWLINK", r.hostName, .exists) }
        let ns = makeNamespace()
        ns.links[1]!.alias = r.mark
        setUp(FakeLinkID(ns: ns.id, index: 1), true)
        let hostIndex = host.allocateIndex(), index = ns.allocateIndex()
        host.links[hostIndex] = FakeLink(index: hostIndex, name: r.hostName, kind: "veth", mac: r.hostMAC, alias: r.mark,
                                         peer: FakeLinkID(ns: ns.id, index: index))
        ns.links[index] = FakeLink(index: index, name: "eth0", kind: "veth", mac: randomMAC(), peer: FakeLinkID(ns: Self.hostID, index: hostIndex))
        host.addresses.append(AddressInfo(index: hostIndex, prefix: r.hostAddress, flags: Self.permanent))
        ns.addresses.append(AddressInfo(index: index, prefix: r.address, flags: Self.permanent))
        if let v6 = r.v6 {
            host.addresses.append(AddressInfo(index: hostIndex, prefix: v6.host, flags: Self.permanent))
            ns.addresses.append(AddressInfo(index: index, prefix: v6.outside, flags: Self.permanent))
        }
        setUp(FakeLinkID(ns: Self.hostID, index: hostIndex), true)
        setUp(FakeLinkID(ns: ns.id, index: index), true)
        outsides.insert(ns.id)
        return OutsideNetwork(id: ns.id, hostName: r.hostName, hostIndex: hostIndex, hostAddress: r.hostAddress.address,
                              address: r.address.address, hostAddress6: r.v6?.host.address, address6: r.v6?.outside.address)
    }

    /// The outside namespace goes, and both ends of its veth with it.
    func removeOutside(_ o: OutsideNetwork, _ removal: OutsideRemoval) throws {
        guard outsides.remove(o.id) != nil else { return }
        collect(o.id)
    }

    func conntrack(_ flow: FlowTuple) throws -> ConntrackEntry? { conntrackTable[flow] }
    func deleteConntrack(_ flow: FlowTuple) throws { conntrackTable[flow] = nil }
    func boundSockets() throws -> [BoundSocket] { sockets }
    /// Foreign rules are not modeled: nothing in the fake explains a failure but Plumb's table.
    func ruleset() throws -> Ruleset { Ruleset(chains: []) }
}
