import PlumbFirewall
import PlumbManifest
import PlumbNetlink

/// What the kernel holds, as far as one manifest is concerned: the input of the
/// pure planner. Codable so planner fixtures can record it (`observed.json`).
public struct ObservedState: Codable, Sendable, Equatable {
    public var host: NamespaceSnapshot
    /// Snapshots of the container namespaces that exist, by NamespaceKey.
    public var namespaces: [NamespaceKey: NamespaceSnapshot]
    /// Names under /run/netns.
    public var namedNamespaces: [String]
    /// Current values of the sysctls the manifest declares (absent: key missing here).
    public var sysctls: [String: String]
    /// The manifest's own nftables table, nil when absent.
    public var firewall: ObservedFirewall?
    /// Tuning state of the NICs the manifest tunes, by netdev name.
    public var nics: [String: NICState] = [:]
    /// PCI/MAC selectors resolved to netdev names.
    public var nicNames: [String: String] = [:]

    public init(host: NamespaceSnapshot = NamespaceSnapshot(), namespaces: [NamespaceKey: NamespaceSnapshot] = [:],
                namedNamespaces: [String] = [], sysctls: [String: String] = [:], firewall: ObservedFirewall? = nil) {
        self.host = host; self.namespaces = namespaces; self.namedNamespaces = namedNamespaces; self.sysctls = sysctls
        self.firewall = firewall
    }
}

/// Links, addresses and routes of one namespace.
public struct NamespaceSnapshot: Codable, Sendable, Equatable {
    public var links: [LinkInfo]
    public var addresses: [AddressInfo]
    public var routes: [RouteInfo]

    public init(links: [LinkInfo] = [], addresses: [AddressInfo] = [], routes: [RouteInfo] = []) {
        self.links = links; self.addresses = addresses; self.routes = routes
    }

    public func link(named name: String) -> LinkInfo? { links.first { $0.name == name } }
    public func link(index: Int) -> LinkInfo? { links.first { $0.index == index } }

    /// Global-scope addresses of a link (link-local ones are the kernel's, not ours).
    public func addresses(of index: Int) -> [IPPrefix] {
        addresses.filter { $0.index == index && $0.scope != 253 && !$0.prefix.isIPv6LinkLocal }.map(\.prefix)
    }
}

extension IPPrefix {
    var isIPv6LinkLocal: Bool { family == .v6 && address.bytes[0] == 0xfe && address.bytes[1] & 0xc0 == 0x80 }
}
