import PlumbFirewall
import PlumbManifest
import PlumbSystem
import PlumbTypes

extension Verifier {
    /// The table holds exactly the desired rules (each difference named).
    func natRulesCheck() throws -> [Check] {
        let desired = NATDesign.ruleset(layer)
        guard !desired.isEmpty else { return [] }
        let table = layer.marks.table
        let drift = OwnedTable.diff(desired: desired, observed: try kernel.firewall(table).observe(), table: table)
        let rules = desired.masquerades.count + desired.portForwards.count
        return [.expect("nat-rules", table.description, drift.isEmpty, expected: "\(rules) rules as declared",
                        observed: drift.isEmpty ? "\(rules) rules as declared" : drift.map(\.description).joined(separator: "; "), evidence: [.nftables])]
    }

    /// Per declared port: a connection from the host to the bridge address at the host
    /// port must arrive inside the container at the container port.
    func portChecks(_ c: Container, ns: NamespaceRef) throws -> [Check] {
        guard let (_, bridge) = NATDesign.bridgedIPv4(c, manifest),
              let local = bridge.addresses.first(where: { $0.family == .v4 })?.address else { return [] }
        return try c.ports.map { p in
            let (failure, served) = try kernel.probePort(tcp: p.proto == .tcp, in: ns, containerPort: p.container,
                                                         address: local, hostPort: p.host)
            let what = "\(p.proto.rawValue) \(local):\(p.host) → \(c.name):\(p.container)"
            return .expect("port-forward", "\(p.proto.rawValue)/\(p.host)", failure == nil, expected: "\(what) arrives",
                           observed: failure.map { "\(what): \($0)" } ?? "\(what) arrived" + (served ? " (a server is listening)" : ""),
                           evidence: served ? [.tcpHandshake] : [p.proto == .tcp ? .tcpNonce : .udpNonce])
        }
    }
}
