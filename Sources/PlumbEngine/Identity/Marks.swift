import PlumbFirewall
import PlumbTypes

/// The marks Plumb leaves in the kernel, all derived from the owner's id. A kernel
/// object is Plumb's only when it carries the owner's mark *and* the owner's record
/// lists it: the mark is the kernel's half of the proof, the record the other.
public struct Marks: Hashable, Sendable {
    public let owner: Owner
    public let id: OwnerID

    public init(_ owner: Owner) { self.owner = owner; id = owner.id }

    /// The alias on every link the owner made or took in (`ip link` shows it):
    /// `plumb:manifest-3f9a1c2d4e5b6a70 demo`.
    public var alias: String { "plumb:\(id) \(owner.displayName.prefix(100))" }

    /// The alias of `lo` in a namespace Plumb created: set before the namespace is
    /// visible under /run/netns, so no crash leaves one of ours without it.
    public var namespaceAlias: String { "plumb:netns \(id)" }

    /// A MAC set when a link is created (the kernel takes no alias at creation): a
    /// link killed between its creation and its alias still shows whose it is.
    /// Locally administered, unicast, different for each namespace and name.
    public func mac(for link: String, in ns: NamespaceRef = .host) -> MACAddress {
        // FNV-1a: a mark, not a secret, and computed for every link of every plan.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "plumb-mac/1\n\(id.rawValue)\n\(ns)\n\(link)".utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return MACAddress(bytes: [0x02] + (0..<5).map { UInt8(truncatingIfNeeded: h >> (8 * UInt64($0))) })!
    }

    /// The name a link is born under when its own name is taken in the namespace the
    /// request is sent in: the kernel looks IFLA_IFNAME up *there* before it creates the link
    /// anywhere (EEXIST). "plumb" + 8 hex digits of the owner, namespace and final name.
    public func temporaryName(for link: String, in ns: NamespaceRef) -> String {
        var h: UInt32 = 0x811c_9dc5
        for byte in "plumb-tmp/1\n\(id.rawValue)\n\(ns)\n\(link)".utf8 { h = (h ^ UInt32(byte)) &* 0x0100_0193 }
        return "plumb" + String(String(h, radix: 16).reversed()).padding(toLength: 8, withPad: "0", startingAt: 0)
    }

    /// The owner's nftables table: `inet plumb_demo_3f9a1c2d4e5b6a70`; readable
    /// prefix, unique suffix.
    public var table: TableName {
        let readable = owner.displayName.lowercased().unicodeScalars.map { s -> Character in
            ("a"..."z").contains(s) || ("0"..."9").contains(s) ? Character(s) : "_"
        }
        let hex = id.rawValue.split(separator: "-").last.map(String.init) ?? id.rawValue
        return TableName(family: .inet, name: "plumb_" + String(readable.prefix(24)) + "_" + hex)
    }

    /// The table's comment, the table's mark.
    public var tableComment: String { "plumb:\(id) \(owner.displayName.prefix(100))" }

    /// Is `link` marked as this owner's: its alias, or (alias not yet set) the MAC it was
    /// born with — the derived one, or the one the manifest declares for it.
    public func marks(_ link: LinkMarks, in ns: NamespaceRef = .host, declaredMAC: MACAddress? = nil) -> Bool {
        if let a = link.alias, !a.isEmpty { return a == alias }
        return link.mac != nil && link.mac == (declaredMAC ?? mac(for: link.name, in: ns))
    }
}

/// The parts of a link that carry a mark.
public struct LinkMarks: Sendable {
    public var name: String
    public var alias: String?
    public var mac: MACAddress?
    public init(name: String, alias: String?, mac: MACAddress?) { self.name = name; self.alias = alias; self.mac = mac }
}

extension String {
    /// True for any link alias written by Plumb (whichever owner).
    var isPlumbAlias: Bool { hasPrefix("plumb:") }
}
