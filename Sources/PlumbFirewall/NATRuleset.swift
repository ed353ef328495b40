import PlumbTypes
/// The whole desired NAT state of the host, as plain data.
///
/// Addresses arrive as text that PlumbManifest has already validated, so this target
/// stays independent of the manifest model. They must be in the form nft lists them
/// back (network prefixes with host bits cleared, IPv6 compressed lowercase — what
/// `IPPrefix.network.description` and `IPAddress.description` give), or drift
/// detection would read nft's normalised text as a change.
///
/// ```swift
/// NATRuleset(
///     masquerades: [Masquerade(subnet: "10.88.0.0/16", bridge: "br0", comment: "bridges[0] br0 masquerade")],
///     portForwards: [PortForward(proto: .tcp, hostPort: 8080, destination: "10.88.0.2", destinationPort: 80,
///                                bridge: "br0", bridgeSubnet: "10.88.0.0/16", comment: "containers[1] web port tcp/8080")])
/// ```
public struct NATRuleset: Sendable, Equatable, Hashable, Codable {
    public var masquerades: [Masquerade]
    public var portForwards: [PortForward]

    public init(masquerades: [Masquerade] = [], portForwards: [PortForward] = []) {
        self.masquerades = masquerades
        self.portForwards = portForwards
    }

    public var isEmpty: Bool { masquerades.isEmpty && portForwards.isEmpty }
}

/// The IP version a rule matches; its raw value is nft's spelling (`ip saddr`, `dnat ip6 to`).
public enum AddressFamily: String, Sendable, Equatable, Hashable, Codable {
    case ipv4 = "ip"
    case ipv6 = "ip6"

    /// Inferred from validated address text: only IPv6 text contains a colon.
    public init(address: String) {
        self = address.contains(":") ? .ipv6 : .ipv4
    }
}

/// Masquerade traffic from `subnet` leaving through any interface other than `bridge`
/// (containers reach the outside world with the host's address; traffic between
/// containers on the bridge keeps its source).
public struct Masquerade: Sendable, Equatable, Hashable, Codable {
    public var family: AddressFamily
    /// Network prefix, e.g. "10.88.0.0/16".
    public var subnet: String
    public var bridge: String
    /// Names the manifest object, e.g. "bridges[0] br0 masquerade".
    public var comment: String

    public init(subnet: String, bridge: String, comment: String, family: AddressFamily? = nil) {
        self.family = family ?? AddressFamily(address: subnet)
        self.subnet = subnet
        self.bridge = bridge
        self.comment = comment
    }
}

/// A host port published to a container address: DNAT for traffic arriving from anywhere
/// and for the host's own connections, hairpin masquerade for containers on the same
/// bridge, and a forward-chain accept.
public struct PortForward: Sendable, Equatable, Hashable, Codable {
    public enum Proto: String, Sendable, Equatable, Hashable, Codable {
        case tcp, udp
    }

    public var family: AddressFamily
    public var proto: Proto
    public var hostPort: Int
    /// The container's address, e.g. "10.88.0.2".
    public var destination: String
    public var destinationPort: Int
    /// The bridge the container hangs off.
    public var bridge: String
    /// The bridge subnet `destination` lives in, e.g. "10.88.0.0/16". The hairpin rule
    /// matches its source by this prefix: `iifname` in postrouting does not reliably name
    /// the bridge (with br_netfilter the input device is the bridge port), tried here.
    public var bridgeSubnet: String
    /// Names the manifest object, e.g. "containers[1] web port tcp/8080".
    public var comment: String

    public init(proto: Proto, hostPort: Int, destination: String, destinationPort: Int,
                bridge: String, bridgeSubnet: String, comment: String, family: AddressFamily? = nil) {
        self.family = family ?? AddressFamily(address: destination)
        self.proto = proto
        self.hostPort = hostPort
        self.destination = destination
        self.destinationPort = destinationPort
        self.bridge = bridge
        self.bridgeSubnet = bridgeSubnet
        self.comment = comment
    }
}
