import PlumbFirewall
import PlumbManifest

/// The manifest's NAT as an nftables ruleset: pure, so the planner can diff it.
///
/// Each manifest owns its own table, `inet plumb_<name>`: destroying one manifest
/// never touches another's rules, and no apply has to read-modify-write a table
/// shared with a concurrent apply of another manifest.
public enum NATDesign {
    public static func table(for manifest: String) -> TableName {
        TableName(family: .inet, name: "plumb_" + manifest.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    public static func ruleset(_ m: Manifest) -> NATRuleset {
        NATRuleset(masquerades: masquerades(m), portForwards: portForwards(m))
    }

    static func masquerades(_ m: Manifest) -> [Masquerade] {
        if m.hostLayerManagedElsewhere { return [] }   // the bridge's own layer masquerades
        return m.bridges.enumerated().flatMap { (i, b) -> [Masquerade] in
            guard b.nat?.masquerade == true else { return [] }
            return b.addresses.map {
                Masquerade(subnet: $0.network.description, bridge: b.name, comment: "bridges[\(i)] \(b.name) masquerade")
            }
        }
    }

    /// host:port → the container's first IPv4 address on a bridge (validated to exist).
    static func portForwards(_ m: Manifest) -> [PlumbFirewall.PortForward] {
        m.containers.enumerated().flatMap { (ci, c) -> [PlumbFirewall.PortForward] in
            guard let (addr, bridge) = bridgedIPv4(c, m) else { return [] }
            return c.ports.map { p in
                PlumbFirewall.PortForward(proto: p.proto == .tcp ? .tcp : .udp, hostPort: p.host, destination: addr.address.description,
                            destinationPort: p.container, bridge: bridge.name,
                            bridgeSubnet: subnet(of: addr.address, in: bridge)?.network.description ?? addr.network.description,
                            comment: "containers[\(ci)] \(c.name) port \(p.proto.rawValue)/\(p.host)")
            }
        }
    }

    static func bridgedIPv4(_ c: Container, _ m: Manifest) -> (IPPrefix, Bridge)? {
        for iface in c.interfaces {
            guard case .veth(let name, _) = iface.kind, let b = m.bridges.first(where: { $0.name == name }),
                  let a = iface.addresses.first(where: { $0.family == .v4 }) else { continue }
            return (a, b)
        }
        return nil
    }

    static func subnet(of a: IPAddress, in b: Bridge) -> IPPrefix? { b.addresses.first { $0.contains(a) } }

    /// Sysctls NAT needs: forwarding on, unless the manifest sets them itself.
    public static func impliedSysctls(_ m: Manifest) -> [Sysctl] {
        let r = ruleset(m)
        guard !r.isEmpty else { return [] }
        var out = [Sysctl(key: "net.ipv4.ip_forward", value: "1")]
        if r.masquerades.contains(where: { $0.family == .ipv6 }) {
            out.append(Sysctl(key: "net.ipv6.conf.all.forwarding", value: "1"))
        }
        let declared = Set(m.host.sysctl.map(\.key))
        return out.filter { !declared.contains($0.key) }
    }
}
