import PlumbFirewall
import PlumbManifest
import PlumbSystem

extension Verifier {
    /// One owner per host port, as the kernel and the records show it now: no other
    /// owner's record publishes it, no other table DNATs it (whatever its priority: one of
    /// the two loses the traffic), and no host process listens on it (shadowed: a warning).
    func portOwnerCheck(_ c: Container, _ p: PlumbManifest.PortForward, packet: ProbePacket, session: VerifySession) throws -> Check {
        let proto = p.transport
        let name = "\(p.proto.rawValue)/\(p.host)"
        var conflicts = portsElsewhere.filter { $0.port.collides(proto, p.host) }.map { "also published by \($0)" }
        let rs = try session.ruleset { try kernel.ruleset() }
        conflicts += rs.redirectors(of: packet, skipping: [TableRef(layer.marks.table)], anyPriority: true)
            .map { "also redirected by \($0)" }
        let listeners = try session.boundSockets { try kernel.boundSockets() }.filter { $0.proto == proto && $0.local.port == p.host }
        let expected = "\(name) published by \(layer.owner) alone, no host process bound to it"
        if !conflicts.isEmpty {
            return Check("port-owner", name, .fail, expected: expected, observed: conflicts.joined(separator: "; "),
                         evidence: [.records, .nftables, .sockDiag])
        }
        if !listeners.isEmpty {
            return Check("port-owner", name, .warn, expected: expected,
                         observed: "bound by a host process: " + listeners.map { "\($0.local) (uid \($0.uid), inode \($0.inode))" }.joined(separator: ", ")
                             + " — the DNAT to \(c.name) shadows it: that process gets no connection to this host's addresses at \(p.host)",
                         evidence: [.records, .nftables, .sockDiag])
        }
        return Check("port-owner", name, .pass, expected: expected,
                     observed: "no other owner's record, no other table's rule and no host socket claims \(name)",
                     evidence: [.records, .nftables, .sockDiag])
    }
}
