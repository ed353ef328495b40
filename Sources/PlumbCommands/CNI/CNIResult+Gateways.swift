import PlumbTypes

extension CNIResult {
    /// A bridge network's IPAM answer with a gateway for every address: one IPAM gave none
    /// for (static IPAM given `runtimeConfig.ips` or `args.cni.ips` alone) gets the subnet's
    /// first address — the bridge is the network's gateway, as the reference `bridge`
    /// plugin's `isGateway` makes it — and the result says it. An address that is itself
    /// the subnet's first keeps none: the bridge cannot take the container's address.
    func withBridgeGateways() -> CNIResult {
        var r = self
        r.ips = ips?.map { ip in
            guard ip.gateway == nil, let p = IPPrefix(ip.address), let first = p.firstHost, first.address != p.address else { return ip }
            var ip = ip
            ip.gateway = first.address.description
            return ip
        }
        return r
    }
}
