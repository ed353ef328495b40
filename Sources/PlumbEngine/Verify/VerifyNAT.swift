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
                        observed: drift.isEmpty ? "\(rules) rules as declared" : drift.map(\.description).joined(separator: "; "),
                        evidence: [.nftables])]
    }

    /// Per declared port: a connection from the host to the bridge address at the host
    /// port must arrive inside the container at the container port.
    func portChecks(_ c: Container, ns: NamespaceRef) throws -> [Check] {
        guard let (_, bridge) = NATDesign.bridgedIPv4(c, manifest),
              let local = bridge.addresses.first(where: { $0.family == .v4 })?.address else { return [] }
        return try c.ports.map { p in
            let r = try kernel.exchange(Exchange(p.proto == .tcp ? .tcp : .udp, from: .namespace(.host), to: .namespace(ns),
                                                 listenAddress: nil, listenPort: p.container, target: local, targetPort: p.host,
                                                 timeoutMs: 1000))
            let what = "\(p.proto.rawValue) \(local):\(p.host) → \(c.name):\(p.container)"
            switch r.delivery {
            case .nonce: return Check("port-forward", "\(p.proto.rawValue)/\(p.host)", .pass, expected: "\(what) arrives",
                                      observed: "\(what) arrived", evidence: [p.proto == .tcp ? .tcpNonce : .udpNonce])
            case .handshake: return Check("port-forward", "\(p.proto.rawValue)/\(p.host)", .pass, expected: "\(what) arrives",
                                          observed: "\(what) arrived (a server is listening)", evidence: [.tcpHandshake])
            case .sent: return Check("port-forward", "\(p.proto.rawValue)/\(p.host)", .fail, expected: "\(what) arrives",
                                     observed: "\(what): port in use inside the container", evidence: [.udpNonce])
            case .failed(let why): return Check("port-forward", "\(p.proto.rawValue)/\(p.host)", .fail, expected: "\(what) arrives",
                                                observed: "\(what): \(why)", evidence: [p.proto == .tcp ? .tcpNonce : .udpNonce])
            }
        }
    }
}
