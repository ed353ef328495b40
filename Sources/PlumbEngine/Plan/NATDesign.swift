import PlumbFirewall
import PlumbManifest
import PlumbTypes

/// A layer's NAT as an nftables ruleset: pure, so the planner can diff it.
///
/// Each owner has its own table (`Marks.table`): destroying one never touches
/// another's rules, and no apply read-modify-writes a table another apply shares.
public enum NATDesign {
    public static func ruleset(_ layer: Layer) -> NATRuleset {
        NATRuleset(masquerades: masquerades(layer), portForwards: portForwards(layer.manifest))
    }

    /// The bridge's own layer masquerades; a container layer only forwards its ports.
    static func masquerades(_ layer: Layer) -> [Masquerade] {
        guard layer.managesHost else { return [] }
        return layer.manifest.bridges.enumerated().flatMap { (i, b) -> [Masquerade] in
            guard b.nat?.masquerade == true else { return [] }
            return b.addresses.map {
                Masquerade(subnet: $0.network.description, bridge: b.name, comment: masqueradeComment(bridge: b.name, at: i))
            }
        }
    }

    /// The comment on the masquerade rules of the manifest's bridge `i`.
    static func masqueradeComment(bridge: String, at i: Int) -> String { "bridges[\(i)] \(bridge) masquerade" }

    /// host:port → the container's first address on a bridge, per family: an IPv4 and an
    /// IPv6 DNAT for a dual-stack container, so the forward answers on both of the host's.
    static func portForwards(_ m: Manifest) -> [PlumbFirewall.PortForward] {
        m.containers.enumerated().flatMap { (ci, c) -> [PlumbFirewall.PortForward] in
            [IPFamily.v4, .v6].flatMap { family -> [PlumbFirewall.PortForward] in
                guard let (addr, bridge) = bridged(c, m, family: family) else { return [] }
                let suffix = family == .v6 ? " ipv6" : ""
                return c.ports.map { p in
                    PlumbFirewall.PortForward(proto: p.proto == .tcp ? .tcp : .udp, hostPort: p.host, destination: addr.address.description,
                                              destinationPort: p.container, bridge: bridge.name,
                                              bridgeSubnet: subnet(of: addr.address, in: bridge)?.network.description ?? addr.network.description,
                                              comment: "containers[\(ci)] \(c.name) port \(p.proto.rawValue)/\(p.host)\(suffix)")
                }
            }
        }
    }

    /// The container's first address of `family` on a bridge of the manifest (IPv6: a global
    /// one; a link-local address is no NAT target), with that bridge.
    public static func bridged(_ c: Container, _ m: Manifest, family: IPFamily) -> (IPPrefix, Bridge)? {
        for iface in c.interfaces {
            guard case .veth(let name, _) = iface.kind, let b = m.bridges.first(where: { $0.name == name }),
                  let a = iface.addresses.first(where: { $0.family == family && !$0.address.isIPv6LinkLocal }) else { continue }
            return (a, b)
        }
        return nil
    }

    /// The families a container's ports are forwarded on (IPv4 first), and the ones they are not.
    public static func forwardFamilies(_ c: Container, _ m: Manifest) -> (on: [IPFamily], off: [IPFamily]) {
        let on = [IPFamily.v4, .v6].filter { bridged(c, m, family: $0) != nil }
        return (on, [IPFamily.v4, .v6].filter { !on.contains($0) })
    }

    /// The address a container's published ports name in records: IPv4 where it has one on a bridge.
    static func bridgedPrimary(_ c: Container, _ m: Manifest) -> (IPPrefix, Bridge)? {
        bridged(c, m, family: .v4) ?? bridged(c, m, family: .v6)
    }

    static func subnet(of a: IPAddress, in b: Bridge) -> IPPrefix? { b.addresses.first { $0.contains(a) } }

    /// Sysctls NAT needs: forwarding on, unless the manifest sets them itself.
    public static func impliedSysctls(_ layer: Layer) -> [Sysctl] {
        let r = ruleset(layer)
        guard !r.isEmpty else { return [] }
        var out = [Sysctl(key: "net.ipv4.ip_forward", value: "1")]
        if r.masquerades.contains(where: { $0.family == .ipv6 }) || r.portForwards.contains(where: { $0.family == .ipv6 }) {
            out.append(Sysctl(key: "net.ipv6.conf.all.forwarding", value: "1"))
        }
        let declared = Set(layer.manifest.host.sysctl.map(\.key))
        return out.filter { !declared.contains($0.key) || !layer.managesHost }
    }

    /// Every sysctl the layer relies on: declared (a host layer's) plus implied by NAT.
    public static func requiredSysctls(_ layer: Layer) -> [Sysctl] {
        (layer.managesHost ? layer.manifest.host.sysctl : []) + impliedSysctls(layer)
    }
}
