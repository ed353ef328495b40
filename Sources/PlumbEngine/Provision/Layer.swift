import PlumbManifest
import PlumbTypes

/// What one owner declares: a manifest (or the part of one a front end hands over)
/// and who owns it. A container layer (hook container, CNI attachment) rests on a
/// host layer: it only *references* the bridges and NICs, which its parent manages.
public struct Layer: Sendable, Equatable {
    public let owner: Owner
    public var manifest: Manifest
    /// The host layer this one rests on; nil for a CLI manifest, which is its own host layer.
    public var parent: Owner?
    /// The owner's marks (its id hashed once).
    public let marks: Marks
    /// A host layer each user brings its own part of (a CNI network: every attachment's
    /// gateway comes from its own IPAM answer — another range of the set once the first is
    /// full, another subnet once the configuration changed). While any user rests on it, an
    /// apply only adds to its bridges' addresses (`keepingWhatUsersRestOn`): a gateway other
    /// attachments route through stays until the layer goes.
    public var additive: Bool

    public init(owner: Owner, manifest: Manifest, parent: Owner? = nil, additive: Bool = false) {
        self.owner = owner; self.manifest = manifest; self.parent = parent; self.additive = additive
        marks = Marks(owner)
    }
    /// Bridges, NICs, host sysctls and masquerade are managed here (not by a parent).
    public var managesHost: Bool { parent == nil }
}

extension Layer {
    /// A CLI manifest: its own owner, host and containers together.
    public static func manifest(_ m: Manifest, identity: ManifestIdentity) -> Layer {
        Layer(owner: .manifest(identity), manifest: m)
    }

    /// The host layer of a manifest used by the OCI hook: bridges, NICs, sysctls, NAT.
    public static func host(of m: Manifest, identity: ManifestIdentity) -> Layer {
        var h = m
        h.containers = []
        return Layer(owner: .manifest(identity), manifest: h)
    }

    /// One container entry of a manifest, in the namespace the runtime gives it.
    public static func hookContainer(_ m: Manifest, identity: ManifestIdentity, container c: Container,
                                     netns: NamespaceRef?) -> Layer {
        var layer = m
        var c = c
        if let netns { c.netns = netns }
        layer.containers = [c]
        layer.host = Host()
        return Layer(owner: .hookContainer(identity, container: c.name), manifest: layer, parent: .manifest(identity))
    }
}
