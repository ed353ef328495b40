import PlumbNetlink

extension Verifier {
    /// The two ends of a veth carry the same MTU, and the bridge sends nothing larger than
    /// its port carries: a smaller host end drops the container's larger frames, a larger
    /// bridge the host's — silently, in both cases (`ip -d link show`).
    func portMTUCheck(_ hostName: String, peer: LinkInfo, bridge: String, host: NamespaceSnapshot) -> Check? {
        guard let end = host.link(named: hostName), let br = host.link(named: bridge) else { return nil }
        var causes: [String] = []
        if end.mtu < peer.mtu { causes.append("frames above \(end.mtu) bytes from \(peer.name) die at \(hostName)") }
        if end.mtu > peer.mtu { causes.append("frames above \(peer.mtu) bytes from \(hostName) die at \(peer.name)") }
        if br.mtu > end.mtu { causes.append("\(bridge) sends frames up to \(br.mtu) bytes that \(hostName) cannot carry: they vanish") }
        return .expect("port-mtu", hostName, causes.isEmpty,
                       expected: "\(hostName) MTU = \(peer.name) MTU (\(peer.mtu)) ≥ \(bridge) MTU",
                       observed: "\(hostName) \(end.mtu), \(peer.name) \(peer.mtu), \(bridge) \(br.mtu)"
                           + (causes.isEmpty ? "" : " — " + causes.joined(separator: "; ")),
                       evidence: [.netlink])
    }

    /// No port of the bridge carries less than the bridge sends (every port, Plumb's or not).
    func bridgeMTUCheck(_ br: LinkInfo, host: NamespaceSnapshot) -> Check {
        let ports = host.links.filter { $0.master == br.index }
        let small = ports.filter { $0.mtu < br.mtu }.sorted { $0.mtu < $1.mtu }
        let smallest = ports.map(\.mtu).min()
        return .expect("bridge-mtu", br.name, small.isEmpty, expected: "no port of \(br.name) below its MTU \(br.mtu)",
                       observed: small.isEmpty
                           ? "MTU \(br.mtu), \(ports.count) ports\(smallest.map { ", smallest \($0)" } ?? "")"
                           : "MTU \(br.mtu), but " + small.prefix(5).map { "\($0.name) \($0.mtu)" }.joined(separator: ", ")
                               + (small.count > 5 ? " and \(small.count - 5) more" : "")
                               + ": frames above that from \(br.name) vanish at those ports",
                       evidence: [.netlink])
    }
}
