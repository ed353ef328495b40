import PlumbNetlink
import PlumbTypes

/// Ownership by proof: a kernel object is this owner's only when the kernel shows the
/// owner's mark *and* the owner's record lists it. A name alone never is.
extension Planner {
    enum Ownership {
        case ours
        case foreign(String)
    }

    /// Whether `link`, found where the manifest wants one of `kind`, is this owner's.
    func ownership(of link: LinkInfo, in ns: NamespaceRef, kind: OwnedLinkKind, declaredMAC: MACAddress? = nil) -> Ownership {
        let place = ns == .host ? "the host namespace" : "\(ns)"
        let marked = marks.marks(link.marks, in: ns, declaredMAC: declaredMAC)
        let listed = index.recordLink(link.name, in: ns)
        let kernelKind = kind.kernelKind
        switch (marked, listed) {
        case (true, let entry?) where entry.kind == kind && link.kind == kernelKind:
            return .ours
        case (true, _):
            return .foreign("\(link.name) in \(place) carries the mark of \(layer.owner) but its ownership record does not list it as a \(kind.rawValue) (the record was removed or replaced?); remove the link or run plumb destroy for it")
        case (false, .some):
            return .foreign("\(link.name) in \(place) is in the record of \(layer.owner) but no longer carries its mark (alias \(quote(link.alias))): it was deleted and re-created by someone else; plumb leaves it alone")
        case (false, nil):
            if let a = link.alias, a.isPlumbAlias {
                return .foreign("\(link.name) already exists in \(place) and belongs to another plumb owner (alias \(quote(a))); rename it in the manifest")
            }
            return .foreign("\(link.name) already exists in \(place) and was not created by plumb for \(layer.owner)\(link.alias.map { " (alias \(quote($0)))" } ?? ""); rename it in the manifest or remove it")
        }
    }

    func quote(_ s: String?) -> String { s.map { "\"\($0)\"" } ?? "none" }

    /// The link or the plan error that says why it is not this owner's to change.
    func requireOwned(_ link: LinkInfo, in ns: NamespaceRef, kind: OwnedLinkKind, path: String,
                      declaredMAC: MACAddress? = nil) throws {
        if case .foreign(let why) = ownership(of: link, in: ns, kind: kind, declaredMAC: declaredMAC) { throw error(path, why) }
    }

    /// How a container's namespace stands for this owner.
    enum NamespaceStatus {
        /// Not there: a named one is created.
        case absent
        /// There, created by this owner (its mark and identity hold): ours to configure and delete.
        case created(ObservedNamespace)
        /// There and not created by this owner: configured, never deleted.
        case used(ObservedNamespace)
    }

    /// The namespace `ref` as the plan may use it, or the plan error that says why not:
    /// the host's own namespace, a namespace re-created by someone else since it was
    /// recorded, a pid now held by another process.
    func namespaceStatus(_ ref: NamespaceRef, path: String) throws -> NamespaceStatus {
        let entry = index.recordNamespaces[ref]
        guard let seen = index.namespaces[ref] else { return .absent }
        if let host = observed.hostIdentity, seen.identity == host {
            throw error(path, "\(ref) is the host's own network namespace (\(seen.identity)); plumb never configures the host namespace as a container's")
        }
        if let entry {
            if let recorded = entry.identity, recorded != seen.identity {
                throw error(path, "\(ref) is not the namespace plumb recorded (\(recorded), now \(seen.identity)): it was deleted and re-created by someone else; plumb will not touch it (plumb destroy forgets the old one)")
            }
            if let was = entry.process, let now = seen.process, was != now {
                throw error(path, "\(ref) now belongs to another process (\(was) is gone, \(now) holds the pid); plumb will not touch it")
            }
            if entry.created {
                if entry.identity == nil, seen.loopbackAlias != marks.namespaceAlias {
                    throw error(path, "\(ref) exists but is not the one plumb began to create (its lo has no plumb mark); plumb will not touch it")
                }
                return .created(seen)
            }
        }
        return .used(seen)
    }
}
