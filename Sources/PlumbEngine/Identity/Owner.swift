import PlumbTypes

/// A manifest as an owner: its `name`, and — when the file gives no `name:` —
/// the absolute path of the file, so two `web.yaml` in two folders are two owners.
public struct ManifestIdentity: Hashable, Sendable, Codable, CustomStringConvertible {
    public var name: String
    /// The manifest file, when its name was taken from the file name; nil when the
    /// manifest names itself (`name:`), which makes it the same manifest wherever it lives.
    public var source: String?
    public init(name: String, source: String?) { self.name = name; self.source = source }
    public var description: String { source.map { "\(name) (\($0))" } ?? name }
}

/// Who owns a set of kernel objects: one record, one alias, one nftables table.
/// Every front end has its own kind, so no two of them can share an owner however
/// their names are spelled: CLI manifest `x--y` is not hook container `y` of `x`,
/// CNI network `Net` is not `net`.
public enum Owner: Hashable, Sendable, Codable, CustomStringConvertible {
    /// A manifest applied from the CLI; also the host layer (bridges, NICs, NAT) of its hook containers.
    case manifest(ManifestIdentity)
    /// One container entry of a manifest, provisioned by the OCI hook into one container.
    case hookContainer(ManifestIdentity, container: String)
    /// A CNI network's host layer: its bridge and masquerade.
    case cniNetwork(String)
    /// One CNI attachment: container id + interface, on a network.
    case cniAttachment(network: String, containerID: String, ifname: String)

    /// The record's identifier: the owner kind, then 16 hex digits of the SHA-256 of the
    /// owner's full description. Never derived from a name alone, never a name as such.
    public var id: OwnerID { OwnerID(self) }

    /// As people name it: "manifest demo", "hook container web of manifest demo".
    public var description: String {
        switch self {
        case .manifest(let m): return "manifest \(m)"
        case .hookContainer(let m, let c): return "container \(c) of manifest \(m) (OCI hook)"
        case .cniNetwork(let n): return "CNI network \(n)"
        case .cniAttachment(let n, let id, let ifname): return "CNI attachment \(id)/\(ifname) of network \(n)"
        }
    }

    /// The short name plans and reports print ("Plan for manifest demo").
    public var displayName: String {
        switch self {
        case .manifest(let m): return m.name
        case .hookContainer(let m, let c): return "\(m.name)/\(c)"
        case .cniNetwork(let n): return "cni:\(n)"
        case .cniAttachment(let n, let id, let ifname): return "cni:\(n)/\(id.prefix(12))@\(ifname)"
        }
    }

    var kind: String {
        switch self {
        case .manifest: return "manifest"
        case .hookContainer: return "hook"
        case .cniNetwork: return "cni-network"
        case .cniAttachment: return "cni-attachment"
        }
    }

    /// The fields in a fixed, length-prefixed order: no two owners encode alike.
    var canonicalBytes: [UInt8] {
        var fields: [String] = [kind]
        switch self {
        case .manifest(let m): fields += [m.name, m.source ?? "\u{0}"]
        case .hookContainer(let m, let c): fields += [m.name, m.source ?? "\u{0}", c]
        case .cniNetwork(let n): fields += [n]
        case .cniAttachment(let n, let id, let ifname): fields += [n, id, ifname]
        }
        return fields.flatMap { f in Array("\(f.utf8.count):".utf8) + Array(f.utf8) }
    }

    private enum CodingKeys: String, CodingKey { case kind, manifest, source, container, network, containerID, ifname }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        func manifest() throws -> ManifestIdentity {
            ManifestIdentity(name: try c.decode(String.self, forKey: .manifest),
                             source: try c.decodeIfPresent(String.self, forKey: .source))
        }
        switch kind {
        case "manifest": self = .manifest(try manifest())
        case "hook": self = .hookContainer(try manifest(), container: try c.decode(String.self, forKey: .container))
        case "cni-network": self = .cniNetwork(try c.decode(String.self, forKey: .network))
        case "cni-attachment":
            self = .cniAttachment(network: try c.decode(String.self, forKey: .network),
                                  containerID: try c.decode(String.self, forKey: .containerID),
                                  ifname: try c.decode(String.self, forKey: .ifname))
        default:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown owner kind \(kind)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        switch self {
        case .manifest(let m):
            try c.encode(m.name, forKey: .manifest); try c.encodeIfPresent(m.source, forKey: .source)
        case .hookContainer(let m, let container):
            try c.encode(m.name, forKey: .manifest); try c.encodeIfPresent(m.source, forKey: .source)
            try c.encode(container, forKey: .container)
        case .cniNetwork(let n): try c.encode(n, forKey: .network)
        case .cniAttachment(let n, let id, let ifname):
            try c.encode(n, forKey: .network); try c.encode(id, forKey: .containerID); try c.encode(ifname, forKey: .ifname)
        }
    }
}

/// An owner's identifier: `manifest-3f9a1c2d4e5b6a70`. It names the record file and
/// appears in every mark Plumb leaves in the kernel (link aliases, the nftables
/// table's name and comment), so ownership never rests on a name.
public struct OwnerID: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public let rawValue: String

    public init(_ owner: Owner) {
        rawValue = owner.kind + "-" + String(SHA256.hex(Array("plumb-owner/1\n".utf8) + owner.canonicalBytes).prefix(16))
    }

    /// Accepts only the shape `init(_:)` makes: a known kind, '-', 16 lowercase hex digits.
    public init?(rawValue text: String) {
        guard let dash = text.lastIndex(of: "-") else { return nil }
        let kind = text[..<dash], hex = text[text.index(after: dash)...]
        guard ["manifest", "hook", "cni-network", "cni-attachment"].contains(String(kind)), hex.count == 16,
              hex.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || ("a"..."f").contains($0) }) else { return nil }
        rawValue = text
    }

    public var description: String { rawValue }
    public static func < (a: OwnerID, b: OwnerID) -> Bool { a.rawValue < b.rawValue }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = OwnerID(rawValue: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\"\(text)\" is not an owner id"))
        }
        self = id
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}
