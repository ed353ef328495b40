import PlumbManifest
import PlumbNetlink
import PlumbSystem
import PlumbTypes

extension Verifier {
    /// Waits of the reachability probe's attempts: a healthy path answers at once, a link
    /// that has just come up (a VF resetting, an IPv6 address still in DAD) gets time.
    static let backoffMs = [250, 500, 1000, 2000, 4000]
    /// Waits of the full-size echo: the small one was just answered, so the path is up.
    static let fullSizeBackoffMs = [250, 750]

    /// One active probe per interface and address family with a gateway: the gateway must
    /// answer from the MAC Plumb expects (its bridge's), with a packet as large as the
    /// interface's MTU too, and the interface's rx counters must move with it.
    func probes(_ c: Container, ns: NamespaceRef, inner: NamespaceSnapshot, host: NamespaceSnapshot,
                hostNeighbours: Set<IPAddress>, session: VerifySession) throws -> [Check] {
        let ops = try kernel.links(in: ns)
        return try c.interfaces.flatMap { iface -> [Check] in
            guard let link = inner.link(named: iface.name) else { return [] }   // link-present failed already
            let targets = [IPFamily.v4, .v6].compactMap { family -> ProbeTarget? in
                var t = probeTarget(iface, in: c, family: family, host: host)
                t?.mtuHint = mtuHint(iface, container: c, host: host, below: link.mtu)
                return t
            }
            guard !targets.isEmpty else {
                return [Check("probe", iface.name, .skip, expected: "a packet to a gateway",
                              observed: "no gateway on this interface (no bridge address in its subnets, no route via it)",
                              evidence: [.netlink])]
            }
            try awaitLinkwatch(iface, container: c, link: link, ops: ops, host: host)
            let pf = try pfLink(of: iface, in: c)
            let hostOps = try kernel.links(in: .host)
            let pfBefore = try pf.flatMap { try hostOps.link(index: $0.index)?.stats }
            let windowBefore = try ops.link(index: link.index)?.stats ?? link.stats
            let softBefore = kernel.proc.softnet()
            var checks: [Check] = []
            let containerHad = Set(try ops.neighbours().map(\.address)).intersection(targets.map(\.gateway))
            for t in targets {
                // One family: its counters are the window's, read once.
                let window = targets.count == 1 ? windowBefore : nil
                let how = try resolveGateway(t, iface: iface, link: link, hostEnd: iface.hostSideName(container: c.name), host: host,
                                             had: containerHad, session: session)
                checks += try probe(iface, link: link, target: t, how: how, container: c.name, ns: ns, ops: ops,
                                    statsBefore: window, session: session)
            }
            let softAfter = kernel.proc.softnet()
            let windowAfter = try ops.link(index: link.index)?.stats ?? link.stats
            let pfAfter = try pf.flatMap { try hostOps.link(index: $0.index)?.stats }
            forgetProbeNeighbours(iface, link: link, targets: targets.map(\.gateway), ops: ops, host: host,
                                  containerHad: containerHad, hostHad: hostNeighbours)
            checks.append(dropCheck("rx-drops", iface.name, before: windowBefore, after: windowAfter))
            if let pf, let pfBefore, let pfAfter { checks.append(dropCheck("pf-rx-drops", pf.name, before: pfBefore, after: pfAfter)) }
            return checks + softnetCheck(iface.name, before: softBefore, after: softAfter)
        }
    }

    /// Reachability, the gateway's MAC and the path MTU towards one gateway.
    func probe(_ iface: Interface, link: LinkInfo, target t: ProbeTarget, how: GatewayResolution, container: String,
               ns: NamespaceRef, ops: any LinkOps, statsBefore: LinkStats?, session: VerifySession) throws -> [Check] {
        if t.family == .v6, let dad = try awaitDAD(t, link: link, ops: ops) {
            return [Check("probe6", iface.name, .fail, expected: "\(t.gateway) answers", observed: dad, evidence: [.netlink])
                .speaking(t.family)]
        }
        let before = try statsBefore ?? ops.link(index: link.index)?.stats ?? link.stats
        let reach = try self.reach(t, ns: ns, ops: ops, link: link, session: session)
        let mtu = try pathMTU(t, reach: reach, ns: ns, link: link)
        let after = try ops.link(index: link.index)?.stats ?? link.stats
        let neighbour = try ops.neighbours().first { $0.index == link.index && $0.address == t.gateway }
        noteBroadcastARP(t, how, neighbour: neighbour, container: container, session: session)
        return [probeCheck(iface.name, t, reach: reach, how: how, neighbour: neighbour, rx: after.rxPackets &- before.rxPackets),
                pathMTUCheck(iface.name, t, mtu)].map { $0.speaking(t.family) }
    }

    /// Echo first; where the echo goes unanswered, a TCP connection to a listener Plumb
    /// opens on the gateway address (the host holds it), which needs no ICMP at all; for a
    /// gateway outside the host (a VF's), a freshly resolved neighbour entry. Attempts back
    /// off (echo and TCP share each attempt's wait); a gateway seen to ignore echo is tried
    /// with TCP first for the next containers, so a host that ignores echo costs one wait.
    func reach(_ t: ProbeTarget, ns: NamespaceRef, ops: any LinkOps, link: LinkInfo, session: VerifySession) throws -> Reach {
        var echoWhy = "not answered"
        var tcpWhy: String?
        let tcpFirst = session.echoIgnored.contains(t.gateway)
        for wait in kernel.probeBackoffMs {
            let start = monotonicMicros()
            let share = t.hostHoldsGateway ? max(1, wait / 2) : wait
            if t.hostHoldsGateway && tcpFirst, let r = try tcp(t, ns: ns, timeoutMs: share, why: &tcpWhy) {
                return .transport(echo: "not tried first: \(t.gateway) ignored echo earlier in this run", tcp: r)
            }
            // The full-size echo rides along: one thread in the namespace for both.
            let outcomes = try kernel.echoes(from: ns, to: t.gateway, [Ping.Request(size: nil, timeoutMs: share),
                                                                       Ping.Request(size: link.mtu, timeoutMs: Self.fullSizeBackoffMs[0])])
            switch outcomes.first {
            case .reply(let r)?: return .echo(r, fullSize: outcomes.count > 1 ? outcomes[1] : nil)
            case .noReply(let why)?: echoWhy = why
            case nil: echoWhy = "no echo sent"
            }
            if t.hostHoldsGateway {
                if !tcpFirst, let r = try tcp(t, ns: ns, timeoutMs: share, why: &tcpWhy) {
                    // The path just came up (an address left DAD)? Then echo answers now.
                    if case .reply(let again)? = try kernel.echoes(from: ns, to: t.gateway, [Ping.Request(size: nil, timeoutMs: share)]).first {
                        return .echo(again, fullSize: nil)
                    }
                    session.echoIgnored.insert(t.gateway)
                    return .transport(echo: echoWhy + ": ICMP echo is ignored or filtered on this path", tcp: r)
                }
            } else if try ops.neighbours().contains(where: { $0.index == link.index && $0.address == t.gateway
                                                                && $0.state & NeighbourInfo.reachable != 0 }) {
                return .neighbourOnly(echo: echoWhy)
            }
            // A send that failed at once (no route yet, a tentative IPv6 address) still waits its turn.
            let left = wait * 1000 - (monotonicMicros() - start)
            if left > 0 { Poll.sleep(.microseconds(left)) }
        }
        return .none(echo: echoWhy, tcp: tcpWhy)
    }

    /// IPv6 addresses are unusable while duplicate address detection runs (about a second
    /// after they are added): waits for the container's and the gateway's to leave it
    /// (bounded), and names an address whose detection failed.
    func awaitDAD(_ t: ProbeTarget, link: LinkInfo, ops: any LinkOps) throws -> String? {
        let host = try kernel.links(in: .host)
        func unsettled() throws -> [AddressInfo] {
            let mine = try ops.addresses().filter { $0.index == link.index && $0.prefix.family == .v6 && $0.prefix.contains(t.gateway) }
            let gateway = t.hostHoldsGateway ? try host.addresses().filter { $0.prefix.address == t.gateway } : []
            return (mine + gateway).filter { $0.tentative || $0.dadFailed }
        }
        let settled = try Poll.until(timeout: .seconds(3), interval: .milliseconds(20)) { () throws -> Bool? in
            try unsettled().contains(where: \.tentative) ? nil : true
        }
        if let failed = try unsettled().first(where: \.dadFailed) {
            return "\(failed.prefix) failed duplicate address detection: another station on the link holds it"
        }
        return settled == nil ? "IPv6 duplicate address detection still runs after 3 s: " + (try unsettled().map(\.prefix.description).joined(separator: ", ")) : nil
    }

    /// A TCP connection from the container to a listener Plumb opens on the gateway (an
    /// address of the host), with a nonce and then one full-size segment.
    func tcp(_ t: ProbeTarget, ns: NamespaceRef, timeoutMs: Int, why: inout String?) throws -> ExchangeResult? {
        let r = try kernel.exchange(Exchange(.tcp, from: .namespace(ns), to: .namespace(.host), listenAddress: t.gateway,
                                             listenPort: 0, target: t.gateway, targetPort: nil, fullSegment: true,
                                             timeoutMs: timeoutMs))
        switch r.delivery {
        case .nonce: return r
        case .failed(let w): why = w
        case .handshake, .toServer: why = "answered by another socket than plumb's"
        }
        return nil
    }

    /// A packet as large as the interface's MTU, Don't Fragment set, must make it too: a
    /// smaller MTU on the way (a host end, a bridge) drops it silently.
    func pathMTU(_ t: ProbeTarget, reach: Reach, ns: NamespaceRef, link: LinkInfo) throws -> PathMTU {
        switch reach {
        case .echo(_, let first):
            if case .reply? = first { return .echo(size: link.mtu, first!) }
            var last = first ?? Ping.Outcome.noReply("not sent")
            for wait in Self.fullSizeBackoffMs.dropFirst(first == nil ? 0 : 1) {
                last = try kernel.echoes(from: ns, to: t.gateway, [Ping.Request(size: link.mtu, timeoutMs: wait)]).first ?? last
                if case .reply = last { break }
            }
            return .echo(size: link.mtu, last)
        case .transport(_, let r):
            return r.fullSegment.map(PathMTU.segment) ?? .notTried("the TCP probe sent no full-size segment")
        case .neighbourOnly, .none:
            return .notTried("the gateway answered no packet of Plumb's")
        }
    }

    func probeCheck(_ name: String, _ t: ProbeTarget, reach: Reach, how: GatewayResolution, neighbour: NeighbourInfo?,
                    rx: UInt64) -> Check {
        let check = t.family == .v6 ? "probe6" : "probe"
        let nd: Evidence = t.family == .v6 ? .nd : how.evidence
        let from = t.expectedMAC.map { "\($0) (\(t.macOwner)'s MAC)" } ?? "the MAC its ARP/ND entry names"
        let expected = "\(t.gateway) answers from \(from), rx moving"
        var (macOK, seen) = neighbourReading(t, neighbour)
        if case .fromBridge(let answered, let proven) = how {
            seen += "; learnt from \(t.macOwner)'s ARP request, answered from \(answered) through the port; "
                + "broadcast ARP on \(t.macOwner) resolved the gateway to its MAC for \(proven) in this run"
        }
        let moved = "rx +\(rx) packets"
        switch reach {
        case .echo(let r, _):
            var c = Check(check, name, macOK && rx > 0 ? .pass : .fail, expected: expected,
                          observed: "echo reply from \(t.gateway) in \(r.rttMicroseconds) µs; \(seen); \(moved)",
                          evidence: [.icmpEcho, nd, .rxCounters])
            c.rttMicroseconds = r.rttMicroseconds
            return c
        case .transport(let echo, let r):
            return Check(check, name, macOK && rx > 0 ? .pass : .fail, expected: expected,
                         observed: "no echo reply (\(echo)); instead a TCP "
                             + "connection to \(t.gateway), on a listener plumb opened in the host namespace, carried its nonce; \(seen); \(moved)",
                         evidence: [nd, .tcpNonce, .rxCounters])
        case .neighbourOnly(let echo):
            // A gateway outside the host: no socket of Plumb's can answer there. A fresh
            // ARP/ND answer proves the link both ways, not the gateway's IP stack: a warning.
            return Check(check, name, macOK ? .warn : .fail, expected: expected,
                         observed: "no echo reply (\(echo)); \(seen), resolved just now: the link works both ways, but nothing above it answered",
                         evidence: [nd, .rxCounters])
        case .none(let echo, let tcp):
            let tcpText = tcp.map { "; TCP to a listener plumb opened on \(t.gateway): \($0)" } ?? ""
            return Check(check, name, .fail, expected: expected,
                         observed: "no echo reply from \(t.gateway) (\(echo))\(tcpText); \(seen); \(moved)",
                         evidence: tcp == nil ? [.icmpEcho, nd, .rxCounters] : [.icmpEcho, .tcpNonce, nd, .rxCounters])
        }
    }

    /// Where the container's packets for the gateway go: its neighbour entry, against the
    /// MAC Plumb expects. A rogue holding the gateway's address answers from another MAC.
    func neighbourReading(_ t: ProbeTarget, _ n: NeighbourInfo?) -> (ok: Bool, text: String) {
        guard let n, let mac = n.mac else {
            return (t.expectedMAC == nil, "\(t.gateway) has no resolved neighbour entry in the container")
        }
        guard let want = t.expectedMAC else { return (true, "\(t.gateway) is at \(mac) (\(n.stateName))") }
        if mac == want { return (true, "\(t.gateway) is at \(mac), \(t.macOwner)'s MAC (\(n.stateName))") }
        return (false, "\(t.gateway) resolves to \(mac) (\(n.stateName)), not \(t.macOwner)'s MAC \(want): another station answers for the gateway")
    }

    func pathMTUCheck(_ name: String, _ t: ProbeTarget, _ m: PathMTU) -> Check {
        let check = t.family == .v6 ? "path-mtu6" : "path-mtu"
        let hint = t.mtuHint.map { ": \($0)" } ?? ""
        switch m {
        case .echo(let size, .reply(let r)):
            return Check(check, name, .pass, expected: "a \(size)-byte packet with DF set reaches \(t.gateway) and back",
                         observed: "a \(size)-byte echo with DF set came back in \(r.rttMicroseconds) µs", evidence: [.icmpEchoFullSize])
        case .echo(let size, .noReply(let why)):
            return Check(check, name, .fail, expected: "a \(size)-byte packet with DF set reaches \(t.gateway) and back",
                         observed: "no reply to a \(size)-byte echo with DF set (\(why)), though a small one was answered: the path carries less than \(size) bytes\(hint)",
                         evidence: [.icmpEchoFullSize])
        case .segment(.arrived(let bytes)):
            return Check(check, name, .pass, expected: "a full-size TCP segment reaches \(t.gateway)",
                         observed: "a \(bytes)-byte segment (the connection's MSS: one packet as large as the MTU, DF set) arrived",
                         evidence: [.tcpFullSize])
        case .segment(.lost(let bytes, let why)):
            return Check(check, name, .fail, expected: "a full-size TCP segment reaches \(t.gateway)",
                         observed: "a \(bytes)-byte segment (the connection's MSS, DF set) did not arrive (\(why)), though the small nonce did: the path carries less than the MTU\(hint)",
                         evidence: [.tcpFullSize])
        case .notTried(let why):
            return Check(check, name, .skip, expected: "a full-size packet reaches \(t.gateway)", observed: why, evidence: [])
        }
    }

    /// Our reply arrived, so a drop in the probe window was another packet: worth a
    /// warning (the receive path is losing something), not a failed probe.
    func dropCheck(_ check: String, _ name: String, before: LinkStats, after: LinkStats) -> Check {
        let d = [("rx_dropped", after.rxDropped &- before.rxDropped), ("rx_missed_errors", after.rxMissedErrors &- before.rxMissedErrors),
                 ("rx_fifo_errors", after.rxFifoErrors &- before.rxFifoErrors), ("rx_over_errors", after.rxOverErrors &- before.rxOverErrors)]
        return Check(check, name, d.allSatisfy { $0.1 == 0 } ? .pass : .warn,
                     expected: "no new rx_dropped, rx_missed, rx_fifo or rx_over errors during the probe",
                     observed: d.map { "\($0.0) +\($0.1)" }.joined(separator: ", "), evidence: [.netlink])
    }

    /// For a VF interface, its PF in the host namespace (its counters see what the
    /// VF never does: frames the NIC itself had to drop).
    func pfLink(of iface: Interface, in c: Container) throws -> LinkInfo? {
        switch iface.kind {
        case .veth, .userspaceVF: return nil
        case .macvlan(let parent, _), .ipvlan(let parent, _, _): return try kernel.links(in: .host).link(name: parent)
        // A VLAN on an interface of its container has no host parent to read.
        case .vlan(let parent, _, _):
            if c.hasSibling(parent, of: iface.name) { return nil }
            return try kernel.links(in: .host).link(name: parent)
        case .vf(let nic, _):
            guard let decl = manifest.nics.first(where: { $0.reference == nic }),
                  let name = Observer(kernel: kernel).resolve(decl.selector.pfSelector) else { return nil }
            return try kernel.links(in: .host).link(name: name)
        }
    }

    /// Per-CPU backlog drops and budget squeezes during the probe window
    /// (/proc/net/softnet_stat): drops mean the host lost packets before any socket.
    func softnetCheck(_ name: String, before: SoftnetStat?, after: SoftnetStat?) -> [Check] {
        guard let before, let after else { return [] }
        let d = after.delta(since: before)
        let status: Check.Status = d.totalDropped == 0 && d.totalTimeSqueeze == 0 ? .pass : .warn
        return [Check("softnet", name, status, expected: "no softnet drops or time squeezes during the probe",
                      observed: "dropped +\(d.totalDropped), time_squeeze +\(d.totalTimeSqueeze) over \(after.cpus.count) CPUs",
                      evidence: [.procfs])]
    }

    /// The probe leaves no trace: neighbour entries it caused (the container's for its
    /// gateways, the host's for the container) are removed. The kernel's neighbour tables
    /// are shared by all namespaces and capped (gc_thresh3, 1024 by default), so probing a
    /// thousand containers would otherwise fill them and fail sends. Best effort: an
    /// entry the kernel already dropped is not an error.
    func forgetProbeNeighbours(_ iface: Interface, link: LinkInfo, targets: [IPAddress], ops: any LinkOps, host: NamespaceSnapshot,
                               containerHad: Set<IPAddress>, hostHad: Set<IPAddress>) {
        for target in targets where !containerHad.contains(target) {
            _ = try? ops.deleteNeighbour(target, index: link.index, name: iface.name)
        }
        guard case .veth(let bridge, _) = iface.kind, let hostOps = try? kernel.links(in: .host),
              let br = host.link(named: bridge) else { return }
        for a in iface.addresses where !hostHad.contains(a.address) {
            _ = try? hostOps.deleteNeighbour(a.address, index: br.index, name: bridge)
        }
    }
}

/// One gateway to probe, and what its answer must look like.
struct ProbeTarget {
    var family: IPFamily
    var gateway: IPAddress
    /// The MAC the answer must come from: its bridge's, read from the kernel; nil for a
    /// VF's gateway, which is outside Plumb (its MAC is reported, not compared).
    var expectedMAC: MACAddress?
    /// Whose MAC that is ("br0").
    var macOwner: String
    /// The gateway is an address of this host (a bridge's): Plumb can listen on it.
    var hostHoldsGateway: Bool
    /// What in the kernel carries less than the interface's MTU, when something does.
    var mtuHint: String?
}

/// How the gateway was reached.
enum Reach {
    /// The echo, and the full-size echo sent right after it on the same socket (nil: not sent).
    case echo(Ping.Reply, fullSize: Ping.Outcome?)
    /// Echo unanswered; a TCP connection to Plumb's own listener on the gateway carried its nonce.
    case transport(echo: String, tcp: ExchangeResult)
    /// Echo unanswered, the gateway is not the host's; its neighbour entry resolved just now.
    case neighbourOnly(echo: String)
    case none(echo: String, tcp: String?)
}

/// The evidence about the path's MTU.
enum PathMTU {
    case echo(size: Int, Ping.Outcome)
    case segment(ExchangeResult.FullSegment)
    case notTried(String)
}

extension Verifier {
    /// The gateway of `family` for an interface: the bridge address in one of its subnets,
    /// else a route's gateway reached through it; with the MAC it must answer from.
    func probeTarget(_ iface: Interface, in c: Container, family: IPFamily, host: NamespaceSnapshot) -> ProbeTarget? {
        let mine = iface.addresses.filter { $0.family == family }
        guard !mine.isEmpty else { return nil }
        if case .veth(let bridge, _) = iface.kind,
           let b = manifest.bridges.first(where: { $0.name == bridge }),
           let gw = b.addresses.first(where: { g in g.family == family && mine.contains { $0.contains(g.address) } }) {
            return ProbeTarget(family: family, gateway: gw.address, expectedMAC: host.link(named: bridge)?.mac, macOwner: bridge,
                               hostHoldsGateway: true, mtuHint: nil)
        }
        guard let via = c.routes.compactMap(\.via).first(where: { v in v.family == family && mine.contains { $0.contains(v) } }) else {
            return nil
        }
        return ProbeTarget(family: family, gateway: via, expectedMAC: nil, macOwner: "the gateway",
                           hostHoldsGateway: false, mtuHint: nil)
    }

    /// For a veth: the host end or the bridge when either carries less than the container end.
    func mtuHint(_ iface: Interface, container c: Container, host: NamespaceSnapshot, below mtu: Int) -> String? {
        guard case .veth(let bridge, _) = iface.kind else { return nil }
        let small = [host.link(named: iface.hostSideName(container: c.name)), host.link(named: bridge)]
            .compactMap { $0 }.filter { $0.mtu < mtu }.min { $0.mtu < $1.mtu }
        return small.map { "\($0.name) has MTU \($0.mtu)" }
    }
}
