import PlumbManifest
import PlumbSystem
import PlumbTypes

/// A host port an owner publishes: DNAT of `proto`/`hostPort` on every local address of the
/// host (`fib daddr type local`) to one of its containers. One owner per host port: the
/// record says which it holds, so another owner's plan can refuse the same one.
public struct PublishedPort: Codable, Sendable, Hashable {
    public var proto: TransportProtocol
    public var hostPort: Int
    /// The container entry and where the DNAT sends it.
    public var container: String
    public var destination: Endpoint
    public init(proto: TransportProtocol, hostPort: Int, container: String, destination: Endpoint) {
        self.proto = proto; self.hostPort = hostPort; self.container = container; self.destination = destination
    }

    /// Two publications of one host port: Plumb's DNAT matches any local address, so the
    /// protocol and port alone collide.
    public func collides(_ proto: TransportProtocol, _ hostPort: Int) -> Bool { self.proto == proto && self.hostPort == hostPort }

    public var label: String { "\(proto.rawValue)/\(hostPort)" }
}

/// A port another owner's record publishes.
public struct PortClaim: Codable, Sendable, Hashable, CustomStringConvertible {
    public var owner: Owner
    public var port: PublishedPort
    public init(owner: Owner, port: PublishedPort) { self.owner = owner; self.port = port }
    public var description: String { "\(owner) (container \(port.container) → \(port.destination))" }
}

extension NATDesign {
    /// The ports a layer publishes, as its record states them.
    public static func publishedPorts(_ layer: Layer) -> [PublishedPort] {
        layer.manifest.containers.flatMap { c -> [PublishedPort] in
            guard let (address, _) = bridgedPrimary(c, layer.manifest) else { return [] }
            return c.ports.map { p in
                PublishedPort(proto: p.transport, hostPort: p.host, container: c.name,
                              destination: Endpoint(address.address, p.container))
            }
        }
    }
}

extension RecordStore {
    /// The ports every other owner's record publishes (records written before Plumb
    /// recorded ports say nothing: verify still catches those in the kernel).
    public func portClaims(excluding id: OwnerID) throws -> [PortClaim] {
        try records().filter { $0.id != id }.flatMap { r in (r.ports ?? []).map { PortClaim(owner: r.owner, port: $0) } }
    }
}

extension PlumbManifest.PortForward {
    /// The manifest's protocol as the sockets, conntrack and records name it.
    var transport: TransportProtocol {
        switch proto {
        case .tcp: return .tcp
        case .udp: return .udp
        }
    }
}
