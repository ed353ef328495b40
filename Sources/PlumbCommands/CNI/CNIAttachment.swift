import Foundation
import PlumbEngine
import PlumbManifest
import PlumbSystem

/// One attachment (container id + interface) of a CNI network, as Plumb manifests:
/// the network's host layer `cni-NET` (bridge, masquerade) shared by every
/// attachment, and a layer per attachment `cni-NET--ID@IFNAME`.
struct CNIAttachment {
    let config: CNIConfig
    let containerID: String
    let ifname: String
    let netns: String?

    var network: String { "cni-" + String(config.name.lowercased().map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "-" }) }
    var containerName: String { "\(containerID)@\(ifname)" }
    var layerName: String { Layers.containerName(network, containerName) }

    /// The host end: "veth" + 11 hex digits of the attachment's hash (≤ 15 bytes).
    var hostVeth: String {
        var h: UInt64 = 0xcbf29ce484222325
        for b in containerName.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        let hex = String(h, radix: 16)
        return "veth" + String((String(repeating: "0", count: max(0, 16 - hex.count)) + hex).prefix(11))
    }

    /// The bridge network's host layer: the bridge with each gateway, masquerade.
    func hostManifest(_ ipam: CNIResult) throws -> Manifest {
        guard let b = config.bridge else { throw CNIError(CNIError.invalidConfig, "no bridge in the configuration") }
        let gateways = (ipam.ips ?? []).compactMap { ip -> IPPrefix? in
            guard let gw = ip.gateway.flatMap(IPAddress.init), let p = IPPrefix(ip.address) else { return nil }
            return IPPrefix(address: gw, length: p.length)
        }
        return Manifest(name: network, bridges: [Bridge(name: b.name, addresses: Array(Set(gateways)).sorted { $0.description < $1.description },
                                                        mtu: b.mtu ?? config.mtu, nat: NAT(masquerade: b.masquerade ?? false))])
    }

    /// This attachment's layer: the veth into CNI_NETNS with the IPAM addresses and routes.
    func containerLayer(_ host: Manifest, _ ipam: CNIResult) throws -> Manifest {
        guard let b = config.bridge else { throw CNIError(CNIError.invalidConfig, "no bridge in the configuration") }
        let iface = Interface(name: ifname, kind: .veth(bridge: b.name, hostName: hostVeth), addresses: try ipam.prefixes(),
                              mtu: b.mtu ?? config.mtu)
        let c = Container(name: containerName, netns: netns.map { .path($0) }, interfaces: [iface], routes: ipam.manifestRoutes())
        return Layers.container(host, c, netns: nil)
    }

    /// Serializes the operations of one network (ADD/DEL/GC touch its shared layer).
    func lock() throws -> FileLock {
        try Directory.create(StateStore().directory, mode: 0o700)
        return try FileLock(path: "\(StateStore().directory)/.\(network).lock")
    }

    /// The layers of this network's attachments recorded on this host.
    static func attachments(of network: String) -> [String] {
        StateStore().manifests().filter { $0.hasPrefix("\(network)--") }.map { String($0.dropFirst(network.count + 2)) }
    }
}
