import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// Addresses and routes of one namespace on the fake kernel.
extension FakeLinks {
    func addAddress(_ p: IPPrefix, index: Int, name: String) throws {
        try enter("addAddress", "RTM_NEWADDR", "\(p) dev \(name)")
        _ = try existing(index, "RTM_NEWADDR", name)
        let ns = try ns("RTM_NEWADDR")
        if ns.addresses.contains(where: { $0.index == index && $0.prefix == p }) { throw refuse("RTM_NEWADDR", "\(p) dev \(name)", .exists) }
        // The kernel gives an IPv6 link-local address scope link (253).
        ns.addresses.append(AddressInfo(index: index, prefix: p, scope: Self.linkLocal.contains(p.address) ? 253 : 0,
                                        flags: FakeKernel.permanent))
    }

    func deleteAddress(_ p: IPPrefix, index: Int, name: String) throws {
        try enter("deleteAddress", "RTM_DELADDR", "\(p) dev \(name)")
        let ns = try ns("RTM_DELADDR")
        guard let i = ns.addresses.firstIndex(where: { $0.index == index && $0.prefix == p }) else {
            throw refuse("RTM_DELADDR", "\(p) dev \(name)", .addressNotAvailable)
        }
        ns.addresses.remove(at: i)
        kernel.dropUnreachableRoutes(FakeLinkID(ns: id, index: index))
    }

    /// The link must be up and, for a gateway route, have an address whose subnet holds
    /// the gateway (an IPv6 link-local gateway is on-link on any link); a route to the same
    /// destination with the same metric exists already: EEXIST. IPv6 stores metric 0 as
    /// 1024 (IP6_RT_PRIO_USER), as the kernel does.
    func addRoute(_ r: RouteInfo, deviceName: String) throws {
        let object = r.describe(device: deviceName)
        try enter("addRoute", "RTM_NEWROUTE", object)
        let ns = try ns("RTM_NEWROUTE")
        guard let index = r.index, let l = ns.links[index] else { throw refuse("RTM_NEWROUTE", object, .noDevice) }
        guard l.up else { throw refuse("RTM_NEWROUTE", object, Errno(rawValue: 100)) }   // ENETDOWN
        if let gw = r.gateway, !Self.linkLocal.contains(gw),
           !ns.addresses.contains(where: { $0.index == index && $0.prefix.contains(gw) }) {
            throw refuse("RTM_NEWROUTE", object, .networkUnreachable)
        }
        let dst = r.destination.network
        let metric = dst.family == .v6 && r.metric == 0 ? 1024 : r.metric
        if (kernel.connectedRoutes(ns) + ns.routes).contains(where: { $0.destination.network == dst && $0.metric == metric && $0.table == r.table }) {
            throw refuse("RTM_NEWROUTE", object, .exists)
        }
        ns.routes.append(RouteInfo(destination: dst, gateway: r.gateway, index: index, metric: metric, proto: 3, table: r.table))
    }

    static let linkLocal = IPPrefix("fe80::/10")!

    func deleteRoute(_ r: RouteInfo, deviceName: String) throws {
        let object = r.describe(device: deviceName)
        try enter("deleteRoute", "RTM_DELROUTE", object)
        let ns = try ns("RTM_DELROUTE")
        guard let i = ns.routes.firstIndex(where: { o in
            o.destination.network == r.destination.network && o.metric == r.metric && o.table == r.table
                && (r.gateway == nil || o.gateway == r.gateway) && (r.index == nil || o.index == r.index)
        }) else { throw refuse("RTM_DELROUTE", object, .noProcess) }   // ESRCH
        ns.routes.remove(at: i)
    }

    /// Rules as the kernel keeps them: a rule without a priority gets the first rule's
    /// minus one (32765 below main's 32766 when none is there); the same rule twice is EEXIST.
    func rules() throws -> [RuleInfo] { try ns("RTM_GETRULE").rules }

    func addRule(_ r: RuleInfo) throws {
        try enter("addRule", "RTM_NEWRULE", r.text)
        let ns = try ns("RTM_NEWRULE")
        if ns.rules.contains(where: { $0.matches(r) }) { throw refuse("RTM_NEWRULE", r.text, .exists) }
        var kept = r
        if kept.priority == nil { kept.priority = (ns.rules.compactMap(\.priority).filter { $0 > 0 }.min() ?? 32766) - 1 }
        ns.rules.append(kept)
    }

    func deleteRule(_ r: RuleInfo) throws {
        try enter("deleteRule", "RTM_DELRULE", r.text)
        let ns = try ns("RTM_DELRULE")
        guard let i = ns.rules.firstIndex(where: { $0.matches(r) }) else { throw refuse("RTM_DELRULE", r.text, .noEntry) }
        ns.rules.remove(at: i)
    }
}
