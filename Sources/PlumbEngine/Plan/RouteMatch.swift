import PlumbManifest
import PlumbNetlink
import PlumbTypes

extension Container {
    /// A route's interface: `dev`, else the one whose subnet holds the gateway.
    func device(for r: Route) -> String? { device(of: r) }
}

extension NamespaceSnapshot {
    /// The route as the kernel holds it: same network, gateway and metric (the kernel's
    /// default where none is declared), on `dev`. Both the planner and the verifier ask.
    func route(_ r: Route, on dev: String) -> RouteInfo? {
        let metric = r.kernelMetric
        return routes.first { o in
            o.destination.network == r.to.network && o.gateway == r.via && o.metric == metric && o.table == r.kernelTable
                && o.index.flatMap { link(index: $0)?.name } == dev
        }
    }
}
