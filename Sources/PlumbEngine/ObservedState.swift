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
    /// SR-IOV physical functions by manifest reference (`nics[].name`, PCI or MAC).
    public var pfs: [String: PFState] = [:]
    /// PCI bus address of container links that may be VFs, by "netns/ifname".
    public var busInfo: [String: String] = [:]

    enum CodingKeys: String, CodingKey {
        case host, namespaces, namedNamespaces, sysctls, firewall, nics, nicNames, pfs, busInfo
    }

    /// Recordings made before a field existed still load: later fields may be absent.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        host = try c.decode(NamespaceSnapshot.self, forKey: .host)
        namespaces = try c.decodeIfPresent([NamespaceKey: NamespaceSnapshot].self, forKey: .namespaces) ?? [:]
        namedNamespaces = try c.decodeIfPresent([String].self, forKey: .namedNamespaces) ?? []
        sysctls = try c.decodeIfPresent([String: String].self, forKey: .sysctls) ?? [:]
        firewall = try c.decodeIfPresent(ObservedFirewall.self, forKey: .firewall)
        nics = try c.decodeIfPresent([String: NICState].self, forKey: .nics) ?? [:]
        nicNames = try c.decodeIfPresent([String: String].self, forKey: .nicNames) ?? [:]
        pfs = try c.decodeIfPresent([String: PFState].self, forKey: .pfs) ?? [:]
        busInfo = try c.decodeIfPresent([String: String].self, forKey: .busInfo) ?? [:]
    }

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
