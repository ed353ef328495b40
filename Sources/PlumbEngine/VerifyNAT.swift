import PlumbFirewall
import PlumbManifest
import PlumbSystem

extension Verifier {
    /// The table holds exactly the desired rules (each difference named).
    func natRulesCheck() throws -> [Check] {
        let desired = NATDesign.ruleset(manifest)
        guard !desired.isEmpty else { return [] }
        let table = NATDesign.table(for: manifest.name)
        let drift = try session.firewall(table).drift(from: desired)
        let rules = desired.masquerades.count + desired.portForwards.count
        return [.expect("nat-rules", table.description, drift.isEmpty, expected: "\(rules) rules as declared",
                        observed: drift.isEmpty ? "\(rules) rules as declared" : drift.map(\.description).joined(separator: "; "))]
    }

    /// Per declared port: a connection from the host to the bridge address at the
    /// host port must arrive inside the container at the container port.
    func portChecks(_ c: Container, handle h: KernelSession.NamespaceHandle) throws -> [Check] {
        guard let (_, bridge) = NATDesign.bridgedIPv4(c, manifest),
              let local = bridge.addresses.first(where: { $0.family == .v4 })?.address else { return [] }
        return try c.ports.map { p in
            let tcp = p.proto == .tcp
            let listener = try h.namespace.run { try PortProbe.listen(tcp: tcp, port: p.container) }
            let failure = tcp ? PortProbe.tcp(to: local.bytes, port: p.host, listener: listener)
                              : PortProbe.udp(to: local.bytes, port: p.host, listener: listener)
            let what = "\(p.proto.rawValue) \(local):\(p.host) → \(c.name):\(p.container)"
            return .expect("port-forward", "\(p.proto.rawValue)/\(p.host)", failure == nil, expected: "\(what) arrives",
                           observed: failure.map { "\(what): \($0)" } ?? "\(what) arrived" + (listener.ours ? "" : " (a server is listening)"))
        }
    }
}
