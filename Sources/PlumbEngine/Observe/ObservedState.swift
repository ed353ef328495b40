import PlumbFirewall
import PlumbNetlink
import PlumbTypes

/// What the kernel holds, as far as one owner is concerned: the input of the pure
/// planner. Codable so planner fixtures can record it (`observed.json`).
public struct ObservedState: Codable, Sendable, Equatable {
    /// The namespace Plumb runs in, by identity: a container's namespace that is this one is refused.
    public var hostIdentity: NamespaceIdentity?
    public var host: NamespaceSnapshot
    /// The container namespaces that exist, with their identities (and snapshots when read).
    public var namespaces: [ObservedNamespace]
    /// Names under /run/netns that are namespaces.
    public var namedNamespaces: [String]
    /// Names under /run/netns that are not (plain files: someone's, or a killed create's).
    public var placeholders: [String] = []
    /// Current values of the sysctls the owner declares or recorded (absent: no such key here).
    public var sysctls: [String: String]
    /// The owner's nftables table, nil when absent.
    public var firewall: ObservedFirewall?
    /// Tuning state of the NICs the owner tunes (or tuned), by netdev name.
    public var nics: [String: NICState]
    /// PCI/MAC selectors resolved to netdev names.
    public var nicNames: [String: String]
    /// SR-IOV physical functions by manifest reference (`nics[].name`, PCI or MAC).
    public var pfs: [String: PFState]
    /// eswitches by PF netdev name: of the PFs whose mode the layer declares or the record restores.
    public var eswitches: [String: EswitchState]?
    /// PCI bus address of container links that may be VFs.
    public var busInfo: [BusInfo]
    /// The modprobe.d file `persist` writes; nil when absent.
    public var modprobeText: String?
    /// Sockets bound in the host namespace (`ss -ltnu`), read when the layer publishes ports.
    public var boundSockets: [BoundSocket]?

    public init(hostIdentity: NamespaceIdentity? = nil, host: NamespaceSnapshot = NamespaceSnapshot(),
                namespaces: [ObservedNamespace] = [], namedNamespaces: [String] = [], sysctls: [String: String] = [:],
                firewall: ObservedFirewall? = nil) {
        self.hostIdentity = hostIdentity; self.host = host; self.namespaces = namespaces
        self.namedNamespaces = namedNamespaces; self.sysctls = sysctls; self.firewall = firewall
        nics = [:]; nicNames = [:]; pfs = [:]; busInfo = []
    }

    public func namespace(_ ref: NamespaceRef) -> ObservedNamespace? { namespaces.first { $0.ref == ref } }

    /// Only what every layer's observation reads of the host (`Observer.base`): its identity,
    /// links, addresses and routes, the named namespaces and placeholders.
    var hostPart: ObservedState {
        var s = ObservedState(hostIdentity: hostIdentity, host: host, namedNamespaces: namedNamespaces)
        s.placeholders = placeholders
        return s
    }

    public func bus(_ name: String, in ns: NamespaceRef) -> String? {
        busInfo.first { $0.namespace == ns && $0.link == name }?.pciAddress
    }
}

/// A container namespace as observed.
public struct ObservedNamespace: Codable, Sendable, Equatable {
    public var ref: NamespaceRef
    public var identity: NamespaceIdentity
    /// For `{pid: P}`: the process that holds it now.
    public var process: ProcessIdentity?
    /// Its links, addresses and routes; nil when not read (destroy reads only what it needs).
    public var snapshot: NamespaceSnapshot?
    /// Its policy-routing rules, where destroy must remove some of the owner's (nil: not read).
    public var rules: [RuleInfo]?
    public init(ref: NamespaceRef, identity: NamespaceIdentity, process: ProcessIdentity? = nil, snapshot: NamespaceSnapshot?) {
        self.ref = ref; self.identity = identity; self.process = process; self.snapshot = snapshot
    }
    /// The alias of its `lo`: Plumb's mark when Plumb created it.
    public var loopbackAlias: String? { snapshot?.link(index: 1)?.alias ?? snapshot?.link(named: "lo")?.alias }
}

/// The PCI address of a link in a container (a VF's netdev has one).
public struct BusInfo: Codable, Sendable, Equatable {
    public var namespace: NamespaceRef
    public var link: String
    public var pciAddress: String
}

/// Links, addresses and routes of one namespace.
public struct NamespaceSnapshot: Codable, Sendable, Equatable {
    /// Its links; looked up by name and ifindex through an index kept with them (the
    /// host of thousands of containers holds thousands of links, each looked up per container).
    public var links: [LinkInfo] { didSet { index = LinkIndex(links) } }
    public var addresses: [AddressInfo]
    public var routes: [RouteInfo]
    /// Policy-routing rules, read only where the manifest (or the record) has some.
    public var rules: [RuleInfo]
    private var index: LinkIndex

    public init(links: [LinkInfo] = [], addresses: [AddressInfo] = [], routes: [RouteInfo] = [], rules: [RuleInfo] = []) {
        self.links = links; self.addresses = addresses; self.routes = routes; self.rules = rules
        index = LinkIndex(links)
    }

    enum CodingKeys: String, CodingKey { case links, addresses, routes, rules }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(links: try c.decode([LinkInfo].self, forKey: .links), addresses: try c.decode([AddressInfo].self, forKey: .addresses),
                  routes: try c.decode([RouteInfo].self, forKey: .routes),
                  rules: try c.decodeIfPresent([RuleInfo].self, forKey: .rules) ?? [])
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(links, forKey: .links); try c.encode(addresses, forKey: .addresses); try c.encode(routes, forKey: .routes)
        if !rules.isEmpty { try c.encode(rules, forKey: .rules) }
    }

    public static func == (a: NamespaceSnapshot, b: NamespaceSnapshot) -> Bool {
        a.links == b.links && a.addresses == b.addresses && a.routes == b.routes && a.rules == b.rules
    }

    public func link(named name: String) -> LinkInfo? { index.byName[name].map { links[$0] } }
    public func link(index i: Int) -> LinkInfo? { index.byIndex[i].map { links[$0] } }

    /// Positions in `links` by name and by ifindex (the first, should the kernel ever repeat one).
    struct LinkIndex: Sendable {
        var byName: [String: Int] = [:]
        var byIndex: [Int: Int] = [:]
        init(_ links: [LinkInfo]) {
            byName.reserveCapacity(links.count); byIndex.reserveCapacity(links.count)
            for (i, l) in links.enumerated() {
                if byName[l.name] == nil { byName[l.name] = i }
                if byIndex[l.index] == nil { byIndex[l.index] = i }
            }
        }
    }

    /// The addresses of a link that a manifest speaks for: global ones, and link-local ones
    /// only when `declared` names them. The kernel makes an IPv6 link-local address of its own
    /// on every link with IPv6 (ours must not become drift), but a gateway like `fe80::1/64`
    /// declared on a bridge is the manifest's: hidden, it would be added again on every apply
    /// (EEXIST) and fail verify forever.
    public func addresses(of index: Int, declared: [IPPrefix] = []) -> [IPPrefix] {
        addresses.filter { a in
            a.index == index && (declared.contains(a.prefix) || (a.scope != 253 && !a.prefix.isIPv6LinkLocal))
        }.map(\.prefix)
    }
}

extension IPPrefix {
    var isIPv6LinkLocal: Bool { family == .v6 && address.bytes[0] == 0xfe && address.bytes[1] & 0xc0 == 0x80 }
}

extension LinkInfo {
    var marks: LinkMarks { LinkMarks(name: name, alias: alias, mac: mac) }
}
