import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// Packets on the fake kernel, at layer 2: a frame sent on a veth reaches its peer; one
/// sent on a bridge port reaches the bridge and the peers of its other ports; one sent
/// on a VF reaches the hosts on its PF's wire in the VF's VLAN (and none at all when
/// spoof checking drops a source MAC the PF did not assign). Every link on the way must
/// be up. An echo is answered by the link holding the target address, so a detached,
/// down or misaddressed link makes a probe fail as it would on a real kernel.
extension FakeKernel {
    /// The fake answers at once or never: one short wait between attempts.
    var probeBackoffMs: [Int] { [1, 1] }

    func echoes(from ref: NamespaceRef, to target: IPAddress, _ requests: [Ping.Request]) throws -> [Ping.Outcome] {
        var out: [Ping.Outcome] = []
        for r in requests {
            let o = try echo(from: ref, to: target, size: r.size)
            out.append(o)
            if case .noReply = o { break }
        }
        return out
    }

    /// One echo: lost when echoes (or all packets) are dropped, when nobody holds the
    /// target, or when `size` exceeds the smallest MTU on the way (Don't Fragment).
    func echo(from ref: NamespaceRef, to target: IPAddress, size: Int?) throws -> Ping.Outcome {
        let ns = try namespace(ref)
        guard let (source, address) = route(in: ns, to: target) else { return .noReply("connect: Network is unreachable") }
        guard !dropEchoes, !dropAll, let answer = answerer(of: target, from: source) else {
            return .noReply("no reply within 1 ms")
        }
        if let size, size > pathMTU(source, answer) { return .noReply("no reply within 1 ms (\(size) bytes, DF)") }
        update(source) { $0.stats.rxPackets += 1; $0.stats.txPackets += 1 }
        learn(target, on: source, mac: answer.flatMap { link($0)?.mac })
        if let answer { learn(address, on: answer, mac: link(source)?.mac) }
        return .reply(Ping.Reply(rttMicroseconds: 42))
    }

    /// An ARP request out of a host link to `stationMAC`: answered when the link holding
    /// the target is reached from it and has that MAC (unicast reaches no one else); the
    /// station learns the asker, as `arp_process` does from a request for its address.
    func askARP(_ r: ARPSocket.Request) throws -> MACAddress? {
        let source = FakeLinkID(ns: Self.hostID, index: r.index)
        // The reply is read where it arrives: the link itself, or the bridge it is a port of.
        guard r.replyIndex == r.index || link(source)?.master == r.replyIndex else { return nil }
        guard !dropAll, let answer = answerer(of: r.target, from: source), let station = answer,
              let mac = link(station)?.mac, mac == r.stationMAC else { return nil }
        learn(r.source, on: station, mac: r.sourceMAC)
        return mac
    }

    /// The largest packet with Don't Fragment that makes it from `source` to `answer` and
    /// back: a veth drops frames above its peer's MTU, a bridge forwarding to a port above
    /// that port's; delivery to the bridge itself checks nothing, and the host fragments
    /// its reply (echo replies are sent without DF).
    func pathMTU(_ source: FakeLinkID, _ answer: FakeLinkID?) -> Int {
        let far = answer.flatMap { link($0)?.kind == "bridge" ? nil : $0 }
        let hops = [source, link(source)?.peer, far].compactMap { $0 }.compactMap { link($0)?.mtu }
        return hops.min() ?? 1500
    }

    /// The up link of `ns` whose subnet holds `target`, and its address there.
    func route(in ns: FakeNamespace, to target: IPAddress) -> (FakeLinkID, IPAddress)? {
        for a in ns.addresses.sorted(by: { $0.index < $1.index }) where a.scope == 0 && a.prefix.contains(target) {
            if ns.links[a.index]?.up == true { return (FakeLinkID(ns: ns.id, index: a.index), a.prefix.address) }
        }
        return nil
    }

    /// nil: nobody answers; .some(nil): a host on a wire answers; .some(link): that link does.
    func answerer(of target: IPAddress, from source: FakeLinkID) -> FakeLinkID?? {
        guard let l = link(source), carrier(source) else { return nil }
        if let vf = l.vf {
            guard let pf = pfs[vf.pf], let s = pf.settings.first(where: { $0.index == vf.index }) else { return nil }
            if s.spoofCheck == true, let assigned = s.mac, l.mac != assigned { return nil }
            return pf.wire.contains { $0.vlan == s.vlan.id && $0.address == target } ? .some(nil) : nil
        }
        for other in segment(of: source) where other != source {
            if namespaces[other.ns]!.addresses.contains(where: { $0.index == other.index && $0.prefix.address == target }) {
                return .some(other)
            }
        }
        return nil
    }

    /// The links a frame sent on `id` reaches.
    func segment(of id: FakeLinkID) -> [FakeLinkID] {
        guard let l = link(id), l.up else { return [] }
        if l.kind == "bridge" { return bridgeSegment(id) }
        guard let peer = l.peer, let p = link(peer), p.up else { return [] }
        if let m = p.master { return bridgeSegment(FakeLinkID(ns: peer.ns, index: m)) }
        return [peer]
    }

    /// A bridge (when up) and the peers (up) of its up ports.
    func bridgeSegment(_ bridge: FakeLinkID) -> [FakeLinkID] {
        guard let ns = namespaces[bridge.ns], ns.links[bridge.index]?.up == true else { return [] }
        let ports = ns.links.values.filter { $0.master == bridge.index && $0.up }.sorted { $0.index < $1.index }
        return [bridge] + ports.compactMap { p in p.peer.flatMap { link($0)?.up == true ? $0 : nil } }
    }

    /// The neighbour entry an exchange leaves (the verifier removes what its probe caused).
    func learn(_ address: IPAddress, on id: FakeLinkID, mac: MACAddress?) {
        guard let ns = namespaces[id.ns], !ns.neighbours.contains(where: { $0.index == id.index && $0.address == address }) else { return }
        ns.neighbours.append(NeighbourInfo(index: id.index, address: address, state: NeighbourInfo.reachable, mac: mac))
    }
}
