import CNetlink
import Glibc
import PlumbTypes

/// A unicast route (`ip route show table all`, without the local table).
public struct RouteInfo: Sendable, Equatable, Codable {
    public var destination: IPPrefix
    public var gateway: IPAddress?
    public var index: Int?          // output interface
    public var metric: Int
    public var proto: Int           // RTPROT_*: 2 kernel (connected), 3 boot (ip route add)
    /// The routing table: 254 main (RT_TABLE_MAIN), 253 default, or a policy-routing table.
    public var table: Int
    public init(destination: IPPrefix, gateway: IPAddress? = nil, index: Int? = nil, metric: Int = 0, proto: Int = 3,
                table: Int = RouteInfo.mainTable) {
        self.destination = destination; self.gateway = gateway; self.index = index
        self.metric = metric; self.proto = proto; self.table = table
    }

    public static let mainTable = 254

    enum CodingKeys: String, CodingKey { case destination, gateway, index, metric, proto, table }

    /// Observations saved before routes carried their table are of the main table.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        destination = try c.decode(IPPrefix.self, forKey: .destination)
        gateway = try c.decodeIfPresent(IPAddress.self, forKey: .gateway)
        index = try c.decodeIfPresent(Int.self, forKey: .index)
        metric = try c.decode(Int.self, forKey: .metric)
        proto = try c.decode(Int.self, forKey: .proto)
        table = try c.decodeIfPresent(Int.self, forKey: .table) ?? Self.mainTable
    }
}

extension RouteSocket {
    /// Unicast routes of every table but the local one, both families.
    /// Equivalent to: `ip route show table all; ip -6 route show table all` (unicast only).
    public func routes() throws -> [RouteInfo] {
        var cache: OpaquePointer?
        try perform("RTM_GETROUTE", "dump") { rtnl_route_alloc_cache(sock, AF_UNSPEC, 0, &cache) }
        defer { nl_cache_free(cache) }
        return collect(cache) { r -> RouteInfo? in
            guard rtnl_route_get_table(r) != K.tableLocal,
                  rtnl_route_get_type(r) == K.unicast,
                  let dst = RouteInfo.destination(r) else { return nil }
            var gw: IPAddress?, idx: Int?
            if rtnl_route_get_nnexthops(r) > 0, let nh = rtnl_route_nexthop_n(r, 0) {
                gw = NLAddress.ip(rtnl_route_nh_get_gateway(nh))
                let i = rtnl_route_nh_get_ifindex(nh)
                idx = i > 0 ? Int(i) : nil
            }
            return RouteInfo(destination: dst, gateway: gw, index: idx, metric: Int(rtnl_route_get_priority(r)),
                             proto: Int(rtnl_route_get_protocol(r)), table: Int(rtnl_route_get_table(r)))
        }.compactMap { $0 }
    }

    /// Equivalent to: `ip route add DST [via GW] dev IFINDEX [metric M] [table T]`.
    public func addRoute(_ r: RouteInfo, deviceName: String) throws {
        try withRoute(r) { route in
            try perform("RTM_NEWROUTE", r.describe(device: deviceName)) {
                rtnl_route_add(sock, route, NLM_F_CREATE | NLM_F_EXCL)
            }
        }
    }

    /// Equivalent to: `ip route del DST [via GW] dev IFINDEX [metric M] [table T]`.
    public func deleteRoute(_ r: RouteInfo, deviceName: String) throws {
        try withRoute(r) { route in
            try perform("RTM_DELROUTE", r.describe(device: deviceName)) { rtnl_route_delete(sock, route, 0) }
        }
    }

    private func withRoute(_ r: RouteInfo, _ body: (OpaquePointer) throws -> Void) throws {
        let route = rtnl_route_alloc()!
        defer { rtnl_route_put(route) }
        let dst = NLAddress.make(r.destination.network)
        defer { nl_addr_put(dst) }
        _ = rtnl_route_set_family(route, UInt8(r.destination.family == .v4 ? AF_INET : AF_INET6))
        rtnl_route_set_table(route, UInt32(r.table))
        _ = rtnl_route_set_dst(route, dst)
        rtnl_route_set_priority(route, UInt32(r.metric))
        rtnl_route_set_protocol(route, UInt8(r.proto))
        _ = rtnl_route_set_type(route, K.unicast)
        // A route without a gateway is on-link: scope link, as `ip route add … dev X` does.
        rtnl_route_set_scope(route, r.gateway == nil ? K.scopeLink : K.scopeUniverse)
        let nh = rtnl_route_nh_alloc()!   // owned by the route once added
        if let i = r.index { rtnl_route_nh_set_ifindex(nh, Int32(i)) }
        var gw: OpaquePointer?
        if let g = r.gateway {
            gw = NLAddress.make(g, prefix: g.bytes.count * 8)
            rtnl_route_nh_set_gateway(nh, gw)
        }
        defer { if let gw { nl_addr_put(gw) } }
        rtnl_route_add_nexthop(route, nh)
        try body(route)
    }
}

extension RouteInfo {
    static func destination(_ r: OpaquePointer) -> IPPrefix? {
        if let p = NLAddress.prefix(rtnl_route_get_dst(r)) { return p }
        // A default route may come without RTA_DST.
        return IPPrefix.defaultRoute(rtnl_route_get_family(r) == UInt8(AF_INET6) ? .v6 : .v4)
    }

    public func describe(device: String) -> String {
        let dst = destination.isDefault ? "default" : destination.network.description
        return "\(dst)\(gateway.map { " via \($0)" } ?? "") dev \(device)\(metric != 0 ? " metric \(metric)" : "")"
            + (table != Self.mainTable ? " table \(table)" : "")
    }
}
