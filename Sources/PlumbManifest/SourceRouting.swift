import PlumbTypes
/// `sourceRouting: true` expanded into the routes and rules the CNI `sbr` plugin builds:
/// pure, so the planner, the verifier and the tests see one and the same list.
extension Container {
    /// The table of the interface at `position`: 100 + its position (`sbr` numbers its
    /// tables from 100 too), so each interface of a multi-homed container has its own.
    public func sourceRoutingTable(_ position: Int) -> Int { RoutingTable.sourceRoutingBase + position }

    /// The declared routes, then per `sourceRouting` interface its table's: the subnet of each
    /// of its addresses on the link, and a copy of every main-table route through it (default included).
    public var effectiveRoutes: [Route] {
        routes + interfaces.enumerated().flatMap { (ii, iface) -> [Route] in
            guard iface.sourceRouting else { return [] }
            let table = sourceRoutingTable(ii)
            let subnets = iface.addresses.map { Route(to: $0.network, dev: iface.name, table: table) }
            let through = routes.filter { $0.table == nil && device(of: $0) == iface.name }
                .map { Route(to: $0.to, via: $0.via, dev: iface.name, metric: $0.metric, table: table) }
            return subnets + through
        }
    }

    /// The declared rules, then per address of a `sourceRouting` interface `from ADDRESS lookup TABLE`.
    public var effectiveRules: [Rule] {
        rules + interfaces.enumerated().flatMap { (ii, iface) -> [Rule] in
            guard iface.sourceRouting else { return [] }
            return iface.addresses.map { a in
                Rule(from: IPPrefix(address: a.address, length: a.address.bytes.count * 8), table: sourceRoutingTable(ii))
            }
        }
    }

    /// A route's interface: `dev`, else the one whose subnet holds the gateway.
    public func device(of r: Route) -> String? {
        if let d = r.dev { return d }
        guard let via = r.via else { return nil }
        return interfaces.first { $0.addresses.contains { $0.contains(via) } }?.name
    }
}
