import Foundation
import PlumbEngine
import PlumbManifest
import PlumbTypes

/// One attachment (container id + interface) of a CNI network, as Plumb provisions
/// it: the network's host layer (bridge, masquerade), owned by the network and shared
/// by every attachment, and a layer per attachment resting on it. Owners are typed:
/// networks `Net` and `net` are two networks, `a` never sees `a--x`'s attachments.
struct CNIAttachment {
    let config: CNIConfig
    let containerID: String
    let ifname: String
    let netns: String?

    var networkOwner: Owner { .cniNetwork(config.name) }
    var owner: Owner { .cniAttachment(network: config.name, containerID: containerID, ifname: ifname) }
    var containerName: String { "\(containerID)@\(ifname)" }

    /// The host end: "veth" + 11 hex digits of a hash of the attachment (≤ 15 bytes).
    var hostVeth: String {
        "veth" + SHA256.hex(Array("cni-veth/1\n\(config.name)\n\(containerID)\n\(ifname)".utf8)).prefix(11)
    }

    var namespace: NamespaceRef? { netns.map { NamespaceRef.path($0).canonical } }

    /// The bridge network's host layer: the bridge with each gateway, masquerade. A macvlan,
    /// ipvlan or VLAN network has nothing in the host of its own: an empty layer.
    func hostLayer(_ ipam: CNIResult) throws -> Layer {
        if config.lower != nil { return Layer(owner: networkOwner, manifest: Manifest(name: config.name)) }
        guard let b = config.bridge else { throw CNIError(CNIError.invalidConfig, "no bridge in the configuration") }
        let gateways = (ipam.ips ?? []).compactMap { ip -> IPPrefix? in
            guard let gw = ip.gateway.flatMap(IPAddress.init), let p = IPPrefix(ip.address) else { return nil }
            return IPPrefix(address: gw, length: p.length)
        }
        let m = Manifest(name: config.name, bridges: [Bridge(name: b.name, addresses: Array(Set(gateways)).sorted { $0.description < $1.description },
                                                              mtu: b.mtu ?? config.mtu, nat: NAT(masquerade: b.masquerade ?? false))])
        return Layer(owner: networkOwner, manifest: m, additive: true)
    }

    /// This attachment's layer: the veth into CNI_NETNS with the IPAM addresses and routes,
    /// runtimeConfig's MAC, and its port mappings as the container's published ports (DNAT in
    /// this attachment's own nftables table: gone with its DEL or GC).
    func containerLayer(_ host: Layer, _ ipam: CNIResult) throws -> Layer {
        let iface: Interface
        if let kind = config.lower {
            // On the master, born in CNI_NETNS under CNI_IFNAME (the reference plugins' fields).
            iface = Interface(name: ifname, kind: kind, addresses: try ipam.prefixes(), mtu: config.mtu, mac: config.runtime.mac)
        } else {
            guard let b = config.bridge else { throw CNIError(CNIError.invalidConfig, "no bridge in the configuration") }
            iface = Interface(name: ifname, kind: .veth(bridge: b.name, hostName: hostVeth), addresses: try ipam.prefixes(),
                              mtu: b.mtu ?? config.mtu, mac: config.runtime.mac)
        }
        var m = host.manifest
        m.host = Host()
        m.containers = [Container(name: containerName, netns: namespace, interfaces: [iface], routes: ipam.manifestRoutes(),
                                       ports: config.runtime.ports)]
        return Layer(owner: owner, manifest: m, parent: networkOwner)
    }
}
