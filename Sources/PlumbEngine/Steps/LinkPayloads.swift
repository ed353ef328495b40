import PlumbNetlink
import PlumbTypes

/// A link as a step names it: where it lives and its name there; `index` when the
/// planner saw it (the applier then addresses it by index and checks the name).
public struct LinkRef: Hashable, Sendable, Codable, CustomStringConvertible {
    public var namespace: NamespaceRef
    public var name: String
    public var index: Int?
    public init(_ name: String, in namespace: NamespaceRef = .host, index: Int? = nil) {
        self.namespace = namespace; self.name = name; self.index = index
    }
    public var description: String { "\(name) in \(namespace)" }
}

/// What a link must carry for a step to touch it: Plumb's mark of this owner (the
/// applier re-reads the link and refuses when the mark is not there), or nothing
/// for a link the manifest names on purpose (a PF, a NIC being tuned).
public enum LinkProof: Hashable, Sendable, Codable {
    case owner(alias: String, mac: MACAddress?)
    case namespaceLoopback(alias: String)
    case declaredByName
}

/// Equivalent to: `ip link add NAME address MAC type bridge [mtu M]; ip link set NAME alias A up`.
public struct BridgeCreation: Hashable, Sendable, Codable {
    public var name: String
    public var mac: MACAddress
    public var mtu: Int?
    public var alias: String
}

/// Equivalent to: `ip link add HOST address MAC master BRIDGE type veth peer name PEER address MAC netns NS [mtu M]`,
/// then alias and up on both ends.
public struct VethCreation: Hashable, Sendable, Codable {
    public var hostName: String
    public var hostMAC: MACAddress
    public var bridge: String
    public var peer: LinkRef
    /// The peer's MAC from birth: declared, else the owner's mark.
    public var peerMAC: MACAddress
    public var mtu: Int?
    public var alias: String
    /// The container's end makes IPv6 addresses (the manifest uses IPv6 on it: an address, or a
    /// route through it); otherwise
    /// `addrgenmode none`: no link-local address, DAD, solicitations or MLD.
    public var peerIPv6: Bool
}

/// Equivalent to: `ip link add link PARENT name NAME address MAC netns NS type macvlan mode MODE [mtu M]`,
/// then alias and up inside NS. `link` is where it is born, under its final name.
public struct MacvlanCreation: Hashable, Sendable, Codable {
    public var link: LinkRef
    /// The host link it sits on (by name: the plan may create it, a bridge of the manifest).
    public var parent: String
    /// The parent's ifindex when the plan saw it: the applier refuses another link by that name.
    public var parentIndex: Int?
    public var mode: MacvlanMode
    /// Declared, else the owner's mark; for passthru the parent's (the kernel's choice).
    public var mac: MACAddress
    public var mtu: Int?
    public var alias: String
    /// As for a veth's container end: IPv6 addresses only when the manifest uses IPv6 on it.
    public var ipv6: Bool
    /// The name it is born under when its own is taken (see `BirthName`).
    public var birth: BirthName
}

/// Equivalent to: `ip link add link PARENT name NAME netns NS type ipvlan mode MODE [mtu M]`,
/// then alias and up inside NS. `link` is where it is born, under its final name.
public struct IpvlanCreation: Hashable, Sendable, Codable {
    public var link: LinkRef
    /// The host link it sits on (by name: the plan may create it, a bridge of the manifest).
    public var parent: String
    /// The parent's ifindex when the plan saw it: the applier refuses another link by that name.
    public var parentIndex: Int?
    public var mode: IpvlanMode
    public var flag: IpvlanFlag
    /// The parent's MAC when the plan saw it: an ipvlan has it, and it is the only thing
    /// that tells the new link before its alias lands.
    public var parentMAC: MACAddress?
    public var mtu: Int?
    public var alias: String
    public var ipv6: Bool
    /// The name it is born under when its own is taken (see `BirthName`).
    public var birth: BirthName
}

/// Equivalent to: `ip link add link PARENT name NAME [address MAC] [netns NS] type vlan id ID protocol P [mtu M]`,
/// then alias and up. The parent is in the host namespace (the VLAN is born in `link`'s) or
/// in `link`'s own namespace (an interface of the same container).
public struct VlanCreation: Hashable, Sendable, Codable {
    public var link: LinkRef
    /// Where the parent is, its name, and its ifindex when the plan saw it.
    public var parent: LinkRef
    public var id: Int
    public var proto: VLANProtocol
    /// Declared; nil: the parent's (the kernel's default).
    public var mac: MACAddress?
    /// The parent's MAC when the plan saw it: without a declared one, the VLAN's until its alias lands.
    public var parentMAC: MACAddress?
    public var mtu: Int?
    public var alias: String
    public var ipv6: Bool
    /// The name it is born under when its own is taken (see `BirthName`).
    public var birth: BirthName

    /// The MAC it is born with, its mark until the alias lands.
    public var birthMAC: MACAddress? { mac ?? parentMAC }
}

/// Whether a link is enslaved, and to which bridge (by name: it may be created by the same plan).
public enum Master: Hashable, Sendable, Codable, CustomStringConvertible {
    case none
    case bridge(String)
    public var description: String {
        switch self {
        case .none: return "nomaster"
        case .bridge(let b): return "master \(b)"
        }
    }
}

/// The settings `ip link set` changes on an existing link; nil fields stay as they are.
public struct LinkSettings: Hashable, Sendable, Codable {
    /// A new name (a link of ours someone renamed gets its name back).
    public var name: String?
    public var up: Bool?
    public var mtu: Int?
    public var mac: MACAddress?
    public var alias: String?
    public var master: Master?
    public init(name: String? = nil, up: Bool? = nil, mtu: Int? = nil, mac: MACAddress? = nil, alias: String? = nil,
                master: Master? = nil) {
        self.name = name; self.up = up; self.mtu = mtu; self.mac = mac; self.alias = alias; self.master = master
    }
    public var isEmpty: Bool { name == nil && up == nil && mtu == nil && mac == nil && alias == nil && master == nil }
}

/// Equivalent to: `ip link set dev NAME [name NEW] [mtu M] [address MAC] [master BR|nomaster] [alias A] [up|down]`.
/// `from` holds the values it replaces (the undo).
public struct LinkUpdate: Hashable, Sendable, Codable {
    public var link: LinkRef
    public var proof: LinkProof
    public var to: LinkSettings
    public var from: LinkSettings
}

/// Equivalent to: `ip link del dev NAME`. The applier deletes it only while it still
/// carries `proof`; already gone is done.
public struct LinkDeletion: Hashable, Sendable, Codable {
    public var link: LinkRef
    public var proof: LinkProof
}

/// Equivalent to: `ip addr add|del PREFIX dev NAME`.
public struct AddressChange: Hashable, Sendable, Codable {
    public var link: LinkRef
    public var proof: LinkProof
    public var prefix: IPPrefix
    /// For a deletion: the routes through the link the kernel drops with the
    /// address; undo puts them back.
    public var routes: [RouteSpec] = []
}

/// A route through one link, in the main table or another.
public struct RouteSpec: Hashable, Sendable, Codable, CustomStringConvertible {
    public var to: IPPrefix
    public var via: IPAddress?
    public var metric: Int
    public var table: Int
    public init(to: IPPrefix, via: IPAddress?, metric: Int, table: Int = RouteInfo.mainTable) {
        self.to = to; self.via = via; self.metric = metric; self.table = table
    }
    public var description: String {
        (to.isDefault ? "default" : to.network.description) + (via.map { " via \($0)" } ?? "")
            + (table != RouteInfo.mainTable ? " table \(table)" : "")
    }

    enum CodingKeys: String, CodingKey { case to, via, metric, table }

    /// Journals and records written before routes carried a table are of the main table.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(to: try c.decode(IPPrefix.self, forKey: .to), via: try c.decodeIfPresent(IPAddress.self, forKey: .via),
                  metric: try c.decode(Int.self, forKey: .metric),
                  table: try c.decodeIfPresent(Int.self, forKey: .table) ?? RouteInfo.mainTable)
    }
}

/// Equivalent to: `ip [-n NS] [-6] rule add|del … lookup T proto 126`: one policy-routing
/// rule in one namespace, marked as Plumb's by its protocol (`RuleInfo.plumbProtocol`).
public struct RuleChange: Hashable, Sendable, Codable {
    public var namespace: NamespaceRef
    public var rule: RuleInfo
    public init(namespace: NamespaceRef, rule: RuleInfo) { self.namespace = namespace; self.rule = rule }
}

/// Equivalent to: `ip route add|del ROUTE dev NAME [metric M]`. `ifAbsent`: an undo
/// that re-adds a route the kernel may or may not have dropped.
public struct RouteChange: Hashable, Sendable, Codable {
    public var link: LinkRef
    public var proof: LinkProof
    public var route: RouteSpec
    public var ifAbsent: Bool = false
}

/// The name a link made inside a container is born under. The kernel looks a new link's name
/// up in the namespace the request is sent in first (EEXIST): when that name is taken there,
/// the link is born under `temporary` and renamed once made. `planned`: the plan saw the
/// clash; otherwise the applier checks again (a VF made by the same apply may carry the name
/// in the host until it moves).
public struct BirthName: Hashable, Sendable, Codable {
    public var temporary: String
    public var planned: Bool
    public init(temporary: String, planned: Bool) { self.temporary = temporary; self.planned = planned }
    /// The temporary name when the plan already knows it is needed (for the plan's text).
    public var bornAs: String? { planned ? temporary : nil }
}
