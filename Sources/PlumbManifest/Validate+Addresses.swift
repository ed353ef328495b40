import PlumbTypes
/// Addressing that could never carry a packet: container addresses outside their bridge's
/// subnets, gateways no interface can reach.
extension Checks {
    mutating func checkAddresses() {
        for site in interfaceSites { checkBridgeSubnets(site) }
        for (ci, c) in m.containers.enumerated() {
            for (ri, r) in c.routes.enumerated() { checkRoute(r, of: c, in: "containers[\(ci)]", at: "containers[\(ci)].routes[\(ri)]") }
        }
    }

    /// A veth peer talks to its bridge's gateway: each address must sit in a subnet the bridge
    /// has in that family. A bridge without an address of the family is plain L2: anything goes.
    mutating func checkBridgeSubnets(_ site: InterfaceSite) {
        guard case .veth(let name, _) = site.interface.kind,
              let bi = m.bridges.firstIndex(where: { $0.name == name }) else { return }
        let bridge = m.bridges[bi]
        for (ai, a) in site.interface.addresses.enumerated() {
            let subnets = bridge.addresses.filter { $0.family == a.family }
            guard !subnets.isEmpty, !subnets.contains(where: { $0.contains(a.address) }) else { continue }
            let list = subnets.map(\.network.description).joined(separator: ", ")
            report("\(site.path).addresses[\(ai)]", "\(a) is outside every subnet of bridge \(bridge.name) (\(list))",
                   involving: ["bridges[\(bi)].addresses", site.path + ".veth"])
        }
    }

    mutating func checkRoute(_ r: Route, of c: Container, in containerPath: String, at path: String) {
        if r.to.address != r.to.network.address {
            report(path + ".to", "\(r.to) has host bits set; use \(r.to.network)")
        }
        guard let via = r.via else {
            if r.dev == nil { report(path, "a \(r.to.isDefault ? "default " : "")route without via needs dev") }
            return
        }
        if via.family != r.to.family {
            report(path, "via \(via) is \(familyName(via.family)) but to \(r.to) is \(familyName(r.to.family))",
                   involving: [path + ".to", path + ".via"])
        } else if !isReachable(via, from: c, dev: r.dev) {
            let from = r.dev.map { "interface \($0)" } ?? "any interface"
            report(path, "via \(via) is not reachable from \(from) of container \(c.name)",
                   involving: [path + ".via", path + ".dev", containerPath + ".interfaces"])
        }
    }

    /// On the subnet of an address of `dev` (or of any interface); an IPv6 link-local gateway
    /// is reachable on whatever link `dev` names.
    /// An unknown `dev` counts as reachable: that mistake has its own error.
    func isReachable(_ via: IPAddress, from c: Container, dev: String?) -> Bool {
        if let dev, !c.interfaces.contains(where: { $0.name == dev }) { return true }
        if dev != nil, via.family == .v6, Self.linkLocal.contains(via) { return true }
        let candidates = c.interfaces.filter { dev == nil || $0.name == dev }
        return candidates.contains { $0.addresses.contains { $0.contains(via) } }
    }

    static let linkLocal = IPPrefix("fe80::/10")!

    func familyName(_ f: IPFamily) -> String { f == .v4 ? "IPv4" : "IPv6" }
}
