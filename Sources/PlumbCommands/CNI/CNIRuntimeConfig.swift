import Foundation
import PlumbJSON
import PlumbManifest
import PlumbTypes

/// `runtimeConfig`: what the runtime passes for the capabilities the configuration declares
/// (CONVENTIONS.md): `mac` for the container interface, `ips` for the IPAM plugin (which reads
/// them from the same stdin: host-local and static take `runtimeConfig.ips`), `portMappings`
/// (Plumb publishes them itself, in the attachment's own nftables table: no `portmap` plugin),
/// and `deviceID` (the VF, when not at the top level). Other capabilities are ignored, as the
/// conventions ask of a plugin that does not implement them.
struct CNIRuntimeConfig: Equatable {
    struct PortMapping: Equatable { var hostPort: Int; var containerPort: Int; var proto: PortForward.Proto }

    var mac: MACAddress?
    var ips: [IPAddress] = []
    var portMappings: [PortMapping] = []
    var deviceID: String?

    static func parse(_ top: CNIFields) throws -> CNIRuntimeConfig {
        var r = CNIRuntimeConfig()
        guard let f = try top.nested("runtimeConfig") else { return r }
        if let m = try f.string("mac") { r.mac = try unicastMAC(m, field: "mac", f) }
        r.ips = try (f.list("ips") ?? []).enumerated().map { (i, v) in
            guard let s = v.string, let a = IPPrefix(s, allowBare: true)?.address else {
                throw f.invalid("ips[\(i)]", "must be an address, with or without a prefix length (\"10.1.2.3/24\")")
            }
            return a
        }
        r.portMappings = try (f.list("portMappings") ?? []).enumerated().map { try portMapping($1, f, index: $0) }
        try refuseDuplicates(r.portMappings, f)
        r.deviceID = try f.string("deviceID")
        return r
    }

    /// `{hostPort, containerPort, protocol?, hostIP?}`; Plumb publishes on every host address
    /// (IPv4), so a hostIP other than "" or 0.0.0.0 is refused rather than widened silently.
    static func portMapping(_ v: JSONNode, _ parent: CNIFields, index: Int) throws -> PortMapping {
        let name = "portMappings[\(index)]"
        guard case .object(let o) = v else { throw parent.invalid(name, "must be an object") }
        let f = CNIFields(object: o.members, path: "\(parent.path)\(name).", version: parent.version)
        guard let host = try f.int("hostPort", in: 1...65535) else { throw f.invalid("hostPort", "is required") }
        guard let container = try f.int("containerPort", in: 1...65535) else { throw f.invalid("containerPort", "is required") }
        let proto = try f.choice("protocol", ["tcp", "udp"]) ?? "tcp"
        if let ip = try f.string("hostIP"), !["", "0.0.0.0"].contains(ip) {
            throw CNIError(CNIError.unsupportedField, "\(f.path)hostIP: \"\(ip.prefix(40))\": Plumb publishes a port on every IPv4 address of the host; leave hostIP empty",
                           version: f.version)
        }
        return PortMapping(hostPort: host, containerPort: container, proto: proto == "udp" ? .udp : .tcp)
    }

    static func refuseDuplicates(_ ms: [PortMapping], _ f: CNIFields) throws {
        var seen = Set<String>()
        for (i, m) in ms.enumerated() where !seen.insert("\(m.proto.rawValue)/\(m.hostPort)").inserted {
            throw f.invalid("portMappings[\(i)]", "\(m.proto.rawValue)/\(m.hostPort) is mapped twice")
        }
    }

    /// A MAC a container interface can take: six octets, neither zero nor multicast.
    static func unicastMAC(_ s: String, field: String, _ f: CNIFields) throws -> MACAddress {
        guard let m = MACAddress(s) else { throw f.invalid(field, "\"\(s.prefix(40))\" is not a MAC address") }
        guard !m.isMulticast && !m.isZero else { throw f.invalid(field, "\(m) is not a unicast address") }
        return m
    }

    var ports: [PortForward] { portMappings.map { PortForward(host: $0.hostPort, container: $0.containerPort, proto: $0.proto) } }
}
