import PlumbFirewall
import PlumbManifest
import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// Forwarding is verified, not assumed: traffic from an outside network Plumb makes for
/// the purpose crosses the host's real prerouting, forward and postrouting hooks — every
/// table's, not only Plumb's — and must end where the manifest says.
extension Verifier {
    /// How long a forwarded probe may take (a forward drop costs this once).
    static let forwardTimeoutMs = 1000

    /// Per published port: from the outside to the host's address at the host port, then
    /// conntrack must name this container's address and port. Behind a masquerading bridge:
    /// a datagram from the container must reach the outside from the host's address.
    func forwardChecks(_ c: Container, ns: NamespaceRef, inner: NamespaceSnapshot, host: NamespaceSnapshot,
                       session: VerifySession) throws -> [Check] {
        let (on, off) = NATDesign.forwardFamilies(c, manifest)
        var checks: [Check] = []
        for p in c.ports {
            let o = try outside(session, host: host)
            for (i, family) in on.enumerated() {
                guard let (prefix, bridge) = NATDesign.bridged(c, manifest, family: family), let ends = o.endpoints(family) else { continue }
                let to = Endpoint(prefix.address, p.container)
                if family == .v6 { try awaitLinkLocal(of: bridge.name, host: host) }
                if i == 0 {
                    checks.append(try portOwnerCheck(c, p, packet: packet(p, o, ends, client: nil, to: to, bridge: bridge.name), session: session))
                }
                checks.append(try portForwardCheck(c, p, ns: ns, inner: inner, to: to, bridge: bridge.name, outside: o, ends: ends,
                                                   session: session).speaking(family))
            }
            // A forward that answers on one family only is said: a client of the other gets nothing.
            for family in off where !on.isEmpty {
                checks.append(Check("port-forward", "\(p.proto.rawValue)/\(p.host)", .skip,
                                    expected: "\(p.proto.rawValue)/\(p.host) forwarded on \(CheckFamily(family).label) too",
                                    observed: "not forwarded on \(CheckFamily(family).label): \(c.name) has no \(family == .v6 ? "global IPv6" : "IPv4") "
                                        + "address on a bridge, so the host's \(CheckFamily(family).label) addresses do not forward \(p.host)",
                                    evidence: []).speaking(family))
            }
        }
        for family in on {
            guard let (prefix, bridge) = NATDesign.bridged(c, manifest, family: family), bridge.nat?.masquerade == true else { continue }
            let o = try outside(session, host: host)
            guard let ends = o.endpoints(family) else { continue }
            checks.append(try masqueradeCheck(c, ns: ns, inner: inner, from: prefix.address, bridge: bridge.name, outside: o, ends: ends,
                                              session: session).speaking(family))
        }
        return checks
    }

    /// The host resolves a container's IPv6 address for a forwarded packet with a neighbour
    /// solicitation sourced from the bridge's link-local address; while that address is still
    /// in duplicate address detection (a bridge made by this apply, ~1 s) the kernel sends no
    /// solicitation and the packet waits for the retransmit a second later. So wait (≤ 3 s)
    /// for the bridge's IPv6 addresses to leave DAD, as a client's first packet would need.
    func awaitLinkLocal(of bridge: String, host: NamespaceSnapshot) throws {
        guard let index = host.link(named: bridge)?.index else { return }
        let ops = try kernel.links(in: .host)
        _ = try Poll.until(timeout: .seconds(3), interval: .milliseconds(20)) { () throws -> Bool? in
            try ops.addresses().contains { $0.index == index && $0.prefix.family == .v6 && $0.tentative } ? nil : true
        }
    }

    func portForwardCheck(_ c: Container, _ p: PlumbManifest.PortForward, ns: NamespaceRef, inner: NamespaceSnapshot, to want: Endpoint,
                          bridge: String, outside o: OutsideNetwork, ends: (host: IPAddress, outside: IPAddress),
                          session: VerifySession) throws -> Check {
        let proto = p.transport
        let name = "\(p.proto.rawValue)/\(p.host)"
        let expected = "\(p.proto.rawValue) from outside to \(Endpoint(ends.host, p.host)) reaches \(c.name) at \(want)"
        // Where a server's UDP port is watched: the link that holds the address (the manifest's, even if now gone).
        let link = inner.addresses.first { $0.prefix.address == want.address }?.index
            ?? c.interfaces.first { $0.addresses.contains { $0.address == want.address } }.flatMap { inner.link(named: $0.name)?.index }
        let r = try kernel.exchange(Exchange(proto, from: .outside(o), to: .namespace(ns), listenAddress: nil, listenPort: p.container,
                                             target: ends.host, targetPort: p.host,
                                             arrival: link.map { Exchange.Arrival(index: $0, address: want.address) },
                                             timeoutMs: Self.forwardTimeoutMs))
        let entry = try r.client.flatMap { try conntrackEntry(FlowTuple(proto, from: $0, to: Endpoint(ends.host, p.host)),
                                                               wait: r.delivery.isToServer) }
        let flow = r.client.map { "\(proto.rawValue) \($0) → \(Endpoint(ends.host, p.host))" } ?? "the probe"
        let at = ServerSide(container: c.name, link: link.flatMap { inner.link(index: $0)?.name } ?? "its link", endpoint: want)
        var evidence: [Evidence] = [.outside]
        switch r.delivery {
        case .nonce: evidence.append(proto == .tcp ? .tcpNonce : .udpNonce)
        case .handshake: evidence.append(.tcpHandshake)
        case .toServer(let d): evidence += d.evidence
        case .failed: break
        }
        evidence.append(.conntrack)
        // Where NAT really sent it: another owner's or a foreign DNAT shows here, whoever answered.
        if let entry, entry.destination != want {
            let blame = try explain(session) { rs in
                rs.redirectors(of: packet(p, o, ends, client: r.client, to: want, bridge: bridge), skipping: [TableRef(layer.marks.table)])
            }
            return Check("port-forward", name, .fail, expected: expected,
                         observed: "conntrack: \(flow) went to \(entry.destination)\(whose(entry.destination.address)), not \(c.name)'s \(want)\(blame)",
                         evidence: evidence + [.nftables])
        }
        // Plumb's own socket in the container is proof by itself; a server's answer, or a
        // datagram seen arriving and received, only with conntrack naming the container.
        let how: String?
        switch r.delivery {
        case .nonce: how = "its nonce arrived on plumb's socket in \(c.name)"
        case .handshake where entry != nil: how = "a server already on \(want) answered the handshake (its SYN-ACK came back through the NAT)"
        case .toServer(let d) where entry != nil: how = d.proof(at)
        case .handshake, .toServer, .failed: how = nil
        }
        if let how {
            let ct = entry.map { "; conntrack: DNAT to \($0.destination)" } ?? ""
            return Check("port-forward", name, .pass, expected: expected, observed: "\(flow): \(how)\(ct)",
                         evidence: entry == nil ? evidence.filter { $0 != .conntrack } : evidence)
        }
        // The commonest cause of an unanswered forward is the container's: no way back.
        let routed = inner.routes.contains { $0.destination.family == ends.outside.family && $0.destination.contains(ends.outside) }
        let back = routed ? "" : "; \(c.name) has no route back to \(ends.outside) (no default route): its answers cannot leave it"
        var failed = try forwardFailure(p, r, entry: entry, flow: flow, expected: expected, to: want, at: at, bridge: bridge, outside: o,
                                        ends: ends, evidence: evidence, session: session)
        failed.observed += back
        return failed
    }

    /// A forward that did not arrive: why, what conntrack shows, and the rules that explain
    /// it — a refused connection leaves no entry (a RST kills it), so the ruleset says who
    /// redirected it; an unanswered one, who dropped it.
    func forwardFailure(_ p: PlumbManifest.PortForward, _ r: ExchangeResult, entry: ConntrackEntry?, flow: String, expected: String,
                        to want: Endpoint, at: ServerSide, bridge: String, outside o: OutsideNetwork,
                        ends: (host: IPAddress, outside: IPAddress), evidence: [Evidence], session: VerifySession) throws -> Check {
        let why: String
        switch r.delivery {
        case .failed(let w): why = w
        case .handshake: why = "a server answered, but conntrack has no entry to say which"
        case .toServer(let d): why = d.proof(at) == nil ? d.failure(at, timeoutMs: Self.forwardTimeoutMs)
                                                      : "a server answered, but conntrack has no entry to say which"
        case .nonce: why = "its nonce arrived, but conntrack has no entry"
        }
        let ct = entry.map { "conntrack: DNAT to \($0.destination)" }
            ?? "no conntrack entry (never confirmed: dropped before postrouting, or refused)"
        let blame = try explain(session) { rs in
            let first = packet(p, o, ends, client: r.client, to: want, bridge: bridge)
            let mine: Set<TableRef> = [TableRef(layer.marks.table)]
            return rs.redirectors(of: first, skipping: mine) + rs.droppers(of: first, skipping: mine)
        }
        return Check("port-forward", "\(p.proto.rawValue)/\(p.host)", .fail, expected: expected,
                     observed: "\(flow): \(why); \(ct)\(blame)", evidence: evidence + [.nftables])
    }

    func masqueradeCheck(_ c: Container, ns: NamespaceRef, inner: NamespaceSnapshot, from address: IPAddress, bridge: String,
                         outside o: OutsideNetwork, ends: (host: IPAddress, outside: IPAddress), session: VerifySession) throws -> Check {
        let expected = "udp from \(c.name) to the outside (\(ends.outside)) arrives from the host's address \(ends.host)"
        guard inner.routes.contains(where: { $0.destination.family == address.family && $0.destination.contains(ends.outside) }) else {
            return Check("masquerade", nil, .skip, expected: expected,
                         observed: "\(c.name) has no route to \(ends.outside) (no default route): nothing leaves it to masquerade",
                         evidence: [.netlink])
        }
        let r = try kernel.exchange(Exchange(.udp, from: .namespace(ns), to: .outside(o), listenAddress: ends.outside, listenPort: 0,
                                             target: ends.outside, targetPort: nil, timeoutMs: Self.forwardTimeoutMs))
        Trace.mark("verify \(c.name): masquerade exchange done")
        switch r.delivery {
        case .nonce(let peer) where peer.address == ends.host:
            return Check("masquerade", nil, .pass, expected: expected,
                         observed: "a datagram from \(r.client?.description ?? c.name) reached the outside from \(peer): masqueraded",
                         evidence: [.outside, .udpNonce])
        case .nonce(let peer):
            return Check("masquerade", nil, .fail, expected: expected,
                         observed: "the datagram reached the outside from \(peer), not masqueraded: no reply could find its way back",
                         evidence: [.outside, .udpNonce])
        case .handshake, .toServer, .failed:
            let why: String
            if case .failed(let w) = r.delivery { why = w } else { why = "answered by another socket" }
            let p = ProbePacket(proto: .udp, source: address, sourcePort: r.client?.port ?? 0, destination: ends.outside,
                                destinationPort: 0, translated: nil, inInterface: bridge, outInterface: o.hostName)
            let blame = try explain(session) { $0.droppers(of: p, skipping: [TableRef(layer.marks.table)]) }
            return Check("masquerade", nil, .fail, expected: expected, observed: "udp from \(c.name) to \(ends.outside): \(why)\(blame)",
                         evidence: [.outside, .udpNonce, .nftables])
        }
    }

    /// The probe's first packet as the host's hooks see it, to match foreign rules against.
    func packet(_ p: PlumbManifest.PortForward, _ o: OutsideNetwork, _ ends: (host: IPAddress, outside: IPAddress), client: Endpoint?,
                to want: Endpoint, bridge: String) -> ProbePacket {
        ProbePacket(proto: p.transport, source: ends.outside, sourcePort: client?.port ?? 0,
                    destination: ends.host, destinationPort: p.host, translated: (want.address, want.port),
                    inInterface: o.hostName, outInterface: bridge)
    }

    /// The conntrack entry of a probe flow, then removed (the probe leaves no flow behind).
    /// A UDP datagram sent to a server's port is confirmed a moment after the send.
    func conntrackEntry(_ flow: FlowTuple, wait: Bool) throws -> ConntrackEntry? {
        defer { try? kernel.deleteConntrack(flow) }
        guard wait else { return try kernel.conntrack(flow) }
        return try Poll.until(timeout: .milliseconds(200), interval: .milliseconds(5)) { try kernel.conntrack(flow) }
    }

    /// "; rule: table ip foreign chain pre handle 2: …" for what the ruleset shows, or a
    /// sentence saying no table holds a rule that explains it.
    func explain(_ session: VerifySession, _ find: (Ruleset) -> [Culprit]) throws -> String {
        let rs = try session.ruleset { try kernel.ruleset() }
        let found = find(rs)
        if found.isEmpty { return "; no rule in any other table explains it" }
        return "; " + (found.count == 1 ? "rule " : "rules ") + found.prefix(4).map(\.description).joined(separator: "; ")
    }

    /// " (container db)" when an address belongs to a container of this manifest.
    func whose(_ a: IPAddress) -> String {
        manifest.containers.first { $0.interfaces.contains { $0.addresses.contains { $0.address == a } } }
            .map { " (container \($0.name))" } ?? ""
    }

    /// The session's outside network, made on first use: a random name and a random /30 of
    /// 198.18.0.0/15 (RFC 2544's benchmarking range) that nothing in the host uses.
    func outside(_ session: VerifySession, host: NamespaceSnapshot) throws -> OutsideNetwork {
        if let o = session.outside { return o }
        var last: Error?
        for _ in 0..<4 {
            let hostName = "plumbv" + String(UInt32.random(in: 0...UInt32.max), radix: 16).leftPadded(to: 8)
            guard let (near, far) = outsideSubnet(host) else { break }
            var v6: (host: IPPrefix, outside: IPPrefix)?
            if needsIPv6Outside {
                guard let pair = outsideSubnet6(host) else { break }
                v6 = pair
            }
            do {
                let o = try kernel.createOutside(OutsideRequest(hostName: hostName, hostMAC: layer.marks.mac(for: hostName),
                                                                mark: outsideMark, hostAddress: near, address: far,
                                                                v6: v6))
                session.outside = o
                Trace.mark("verify: outside network made")
                return o
            } catch let e as NetlinkError where e.errno == .exists {
                last = e   // someone has that name: another draw
            }
        }
        throw last ?? SystemError("choose", "a /30 of 198.18.0.0/15 (and a /126 of 2001:2::/48) no route or address of the host overlaps",
                                  .addressNotAvailable)
    }

    /// The mark on the outside network's `lo` and host end.
    var outsideMark: String { "plumb:verify \(layer.owner.id)" }

    /// Whether this verify will make an outside network: a published port, or a container
    /// behind a masquerading bridge (`forwardChecks`).
    var needsOutside: Bool {
        manifest.containers.contains { c in
            !c.ports.isEmpty || NATDesign.forwardFamilies(c, manifest).0.contains { family in
                NATDesign.bridged(c, manifest, family: family)?.1.nat?.masquerade == true
            }
        }
    }

    /// The outside speaks IPv6 too when an IPv6 forward or masquerade is to be checked.
    var needsIPv6Outside: Bool {
        manifest.containers.contains { c in
            NATDesign.bridged(c, manifest, family: .v6).map { !c.ports.isEmpty || $0.1.nat?.masquerade == true } ?? false
        }
    }

    /// A random /126 of 2001:2::/48 (RFC 5180's benchmarking range, IPv6's 198.18.0.0/15)
    /// that no address or route of the host overlaps: ::1 for the host end, ::2 for the outside.
    func outsideSubnet6(_ host: NamespaceSnapshot) -> (IPPrefix, IPPrefix)? {
        let taken = host.addresses.map(\.prefix).filter { $0.family == .v6 }
            + host.routes.map(\.destination).filter { $0.family == .v6 && $0.length > 0 }
        for _ in 0..<64 {
            var bytes: [UInt8] = [0x20, 0x01, 0x00, 0x02, 0, 0] + (0..<10).map { _ in UInt8.random(in: 0...255) }
            bytes[15] &= 0xfc
            func at(_ i: UInt8) -> IPAddress { var b = bytes; b[15] |= i; return IPAddress(bytes: b)! }
            guard let net = IPPrefix(address: at(0), length: 126),
                  !taken.contains(where: { $0.network.contains(at(0)) || net.contains($0.network.address) }) else { continue }
            return (IPPrefix(address: at(1), length: 126)!, IPPrefix(address: at(2), length: 126)!)
        }
        return nil
    }

    func outsideSubnet(_ host: NamespaceSnapshot) -> (IPPrefix, IPPrefix)? {
        let taken = host.addresses.map(\.prefix).filter { $0.family == .v4 }
            + host.routes.map(\.destination).filter { $0.family == .v4 && $0.length > 0 }
        for _ in 0..<64 {
            let k = UInt32.random(in: 0..<(1 << 15)) * 4
            let base: UInt32 = 198 << 24 | 18 << 16
            func at(_ i: UInt32) -> IPAddress { let v = base + k + i; return IPAddress(bytes: [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)])! }
            guard let net = IPPrefix(address: at(0), length: 30),
                  !taken.contains(where: { $0.network.contains(at(0)) || net.contains($0.network.address) }) else { continue }
            return (IPPrefix(address: at(1), length: 30)!, IPPrefix(address: at(2), length: 30)!)
        }
        return nil
    }
}

extension ExchangeResult.Delivery {
    var isToServer: Bool { if case .toServer = self { return true } else { return false } }
}

extension String {
    func leftPadded(to n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
