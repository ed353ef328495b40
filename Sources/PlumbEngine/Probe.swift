import PlumbManifest
import PlumbNetlink
import PlumbSystem

extension Verifier {
    /// One active probe per interface that has an IPv4 address and a gateway on
    /// the same subnet: an ICMP echo sent from inside the container's namespace
    /// must come back, and the interface's rx counters must move with it.
    func probes(_ c: Container, inner: NamespaceSnapshot, handle h: KernelSession.NamespaceHandle) throws -> [Check] {
        try c.interfaces.flatMap { iface -> [Check] in
            guard let link = inner.link(named: iface.name), let target = gateway(for: iface, in: c) else {
                return [Check("probe", iface.name, .skip, expected: "ICMP echo to a gateway", observed: "no IPv4 gateway on this interface")]
            }
            let before = try h.socket.link(index: link.index)?.stats ?? link.stats
            let reply = try h.namespace.run { try Ping.ipv4(target.bytes) }
            let after = try h.socket.link(index: link.index)?.stats ?? link.stats
            let rx = after.rxPackets &- before.rxPackets
            let drops = after.rxDropped &- before.rxDropped
            let ok = reply != nil && rx > 0
            let seen = reply.map { "reply from \(target) in \($0.rttMicroseconds) µs" } ?? "no reply from \(target)"
            var checks = [Check.expect("probe", iface.name, ok, expected: "echo reply from \(target), rx moving",
                                       observed: "\(seen), rx +\(rx) packets")]
            // Our reply arrived, so a drop in the window was another packet: worth a
            // warning (the receive path is losing something), not a failed probe.
            checks.append(Check("rx-drops", iface.name, drops == 0 ? .pass : .warn, expected: "no new rx_dropped during the probe",
                                observed: "rx_dropped +\(drops)"))
            return checks
        }
    }

    /// The address to ping: the bridge address in the interface's subnet, else
    /// a route's gateway reached through this interface.
    func gateway(for iface: Interface, in c: Container) -> IPAddress? {
        let mine = iface.addresses.filter { $0.family == .v4 }
        if case .veth(let bridge, _) = iface.kind,
           let b = manifest.bridges.first(where: { $0.name == bridge }),
           let gw = b.addresses.first(where: { g in mine.contains { $0.contains(g.address) } }) {
            return gw.address
        }
        return c.routes.compactMap(\.via).first { v in v.family == .v4 && mine.contains { $0.contains(v) } }
    }
}
