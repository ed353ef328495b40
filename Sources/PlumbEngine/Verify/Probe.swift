import PlumbManifest
import PlumbNetlink
import PlumbSystem
import PlumbTypes

extension Verifier {
    /// One active probe per interface that has an IPv4 address and a gateway on the
    /// same subnet: an ICMP echo sent from inside the container's namespace must come
    /// back, and the interface's rx counters must move with it.
    func probes(_ c: Container, ns: NamespaceRef, inner: NamespaceSnapshot, hostNeighbours: Set<IPAddress>) throws -> [Check] {
        let ops = try kernel.links(in: ns)
        return try c.interfaces.flatMap { iface -> [Check] in
            guard let link = inner.link(named: iface.name), let target = gateway(for: iface, in: c) else {
                return [Check("probe", iface.name, .skip, expected: "ICMP echo to a gateway", observed: "no IPv4 gateway on this interface", evidence: [.netlink])]
            }
            let neighboursBefore = Set(try ops.neighbours().map(\.address))
            let before = try ops.link(index: link.index)?.stats ?? link.stats
            let pf = try pfLink(of: iface)
            let host = try kernel.links(in: .host)
            let pfBefore = try pf.flatMap { try host.link(index: $0.index)?.stats }
            let softBefore = kernel.proc.softnet()
            let outcome = try kernel.ping(from: ns, to: target)
            let softAfter = kernel.proc.softnet()
            let after = try ops.link(index: link.index)?.stats ?? link.stats
            let pfAfter = try pf.flatMap { try host.link(index: $0.index)?.stats }
            forgetProbeNeighbours(iface, link: link, target: target, ops: ops, containerHad: neighboursBefore, hostHad: hostNeighbours)
            var checks = probeChecks(iface.name, target: target, outcome: outcome, before: before, after: after)
            if let pf, let pfBefore, let pfAfter { checks.append(dropCheck("pf-rx-drops", pf.name, before: pfBefore, after: pfAfter)) }
            return checks + softnetCheck(iface.name, before: softBefore, after: softAfter)
        }
    }

    func probeChecks(_ name: String, target: IPAddress, outcome: Ping.Outcome, before: LinkStats, after: LinkStats) -> [Check] {
        let rx = after.rxPackets &- before.rxPackets
        let seen: String, replied: Bool
        switch outcome {
        case .reply(let r): seen = "reply from \(target) in \(r.rttMicroseconds) µs"; replied = true
        case .noReply(let why): seen = "no reply from \(target): \(why)"; replied = false
        }
        return [
            .expect("probe", name, replied && rx > 0, expected: "echo reply from \(target), rx moving",
                    observed: "\(seen), rx +\(rx) packets", evidence: [.icmpEcho, .rxCounters]),
            dropCheck("rx-drops", name, before: before, after: after),
        ]
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
    func pfLink(of iface: Interface) throws -> LinkInfo? {
        switch iface.kind {
        case .veth: return nil
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
                      observed: "dropped +\(d.totalDropped), time_squeeze +\(d.totalTimeSqueeze) over \(after.cpus.count) CPUs", evidence: [.procfs])]
    }

    /// The probe leaves no trace: neighbour entries it caused (the container's for its
    /// gateway, the host's for the container) are removed. The kernel's ARP table is
    /// shared by all namespaces and capped (gc_thresh3, 1024 by default), so probing a
    /// thousand containers would otherwise fill it and fail sends. Best effort: an
    /// entry the kernel already dropped is not an error.
    func forgetProbeNeighbours(_ iface: Interface, link: LinkInfo, target: IPAddress, ops: any LinkOps,
                               containerHad: Set<IPAddress>, hostHad: Set<IPAddress>) {
        if !containerHad.contains(target) {
            _ = try? ops.deleteNeighbour(target, index: link.index, name: iface.name)
        }
        guard case .veth(let bridge, _) = iface.kind, let host = try? kernel.links(in: .host),
              let br = try? host.link(name: bridge) else { return }
        for a in iface.addresses where a.family == .v4 && !hostHad.contains(a.address) {
            _ = try? host.deleteNeighbour(a.address, index: br.index, name: bridge)
        }
    }

    /// The address to ping: the bridge address in the interface's subnet, else a
    /// route's gateway reached through this interface.
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
