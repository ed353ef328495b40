import PlumbEngine
import PlumbJSON
import PlumbTypes

/// The network's host layer as it will most likely be, known before the IPAM plugin
/// answers: a node's first ADD on a network makes the bridge and its table while
/// `host-local` runs (the engine's `early`), instead of after it — on this 2-core machine
/// ~3 ms of kernel work that only the first ADD did, beside a plugin it waited ~2.6 ms for.
/// The gateways are read from the IPAM configuration the way the plugin will give them;
/// a guess that turns out wrong is only work: the layer from the real answer is applied
/// after it and converges the bridge and the table on what IPAM gave.
extension CNIAttachment {
    func predictedHostLayer() -> Layer? {
        guard config.lower == nil, config.bridge != nil, let ipam = config.ipam,
              let gateways = Self.gateways(ipam), !gateways.isEmpty else { return nil }
        let ips = gateways.map { CNIResult.IP(version: nil, address: $0.description, gateway: $0.address.description, interface: nil) }
        return try? hostLayer(CNIResult(cniVersion: config.cniVersion, ips: ips))
    }

    /// host-local: the first range of each range set (`ranges`, or the older `subnet`), its
    /// `gateway` or, as the plugin defaults it, the subnet's first address. static: each
    /// address's `gateway`. Any other plugin (dhcp, whereabouts, …): nil, no guess.
    static func gateways(_ ipam: JSONObject) -> [IPPrefix]? {
        switch ipam["type"]?.string {
        case "host-local":
            if case .array(let sets)? = ipam["ranges"] {
                let first = sets.compactMap { set -> JSONNode? in if case .array(let r) = set { return r.first } else { return nil } }
                guard first.count == sets.count else { return nil }
                return first.compactMap { gateway(subnet: $0["subnet"]?.string, gateway: $0["gateway"]?.string) }.nilIfShort(first.count)
            }
            return gateway(subnet: ipam["subnet"]?.string, gateway: ipam["gateway"]?.string).map { [$0] }
        case "static":
            guard case .array(let addresses)? = ipam["addresses"] else { return nil }
            return addresses.compactMap { a -> IPPrefix? in
                guard let p = a["address"]?.string.flatMap({ IPPrefix($0) }), let gw = a["gateway"]?.string.flatMap(IPAddress.init) else { return nil }
                return IPPrefix(address: gw, length: p.length)
            }.nilIfShort(addresses.count)
        default:
            return nil
        }
    }

    /// `gateway` in `subnet`, or the subnet's first address after its network address.
    static func gateway(subnet: String?, gateway: String?) -> IPPrefix? {
        guard let net = subnet.flatMap({ IPPrefix($0) })?.network else { return nil }
        if let gw = gateway.flatMap(IPAddress.init) { return IPPrefix(address: gw, length: net.length) }
        return net.firstHost
    }
}

extension IPPrefix {
    /// The first address after the network's own, with the prefix length: where host-local
    /// and the reference bridge plugin put a gateway nobody gave.
    var firstHost: IPPrefix? {
        var bytes = network.address.bytes
        for i in bytes.indices.reversed() {
            bytes[i] &+= 1
            if bytes[i] != 0 { break }
        }
        return IPAddress(bytes: bytes).flatMap { IPPrefix(address: $0, length: length) }
    }
}

private extension Array {
    /// nil unless every element was read: a partial guess is no guess.
    func nilIfShort(_ count: Int) -> [Element]? { self.count == count ? self : nil }
}
