import PlumbManifest
import PlumbNetlink
import PlumbSystem

extension Planner {
    /// One owner per host port: a port another owner's record publishes is refused here,
    /// before any change, naming both — the first owner's traffic never flips to the second.
    func checkPortOwners() throws {
        var errors: [PlanError] = []
        for (ci, c) in manifest.containers.enumerated() {
            for (pi, p) in c.ports.enumerated() {
                let proto = p.transport
                for other in portsElsewhere where other.port.collides(proto, p.host) {
                    errors.append(error("containers[\(ci)].ports[\(pi)].host",
                        "\(other.port.label) is already published by \(other.owner) (container \(other.port.container) → \(other.port.destination)); "
                        + "\(layer.owner) (container \(c.name)) cannot publish it too: one owner per host port — remove it from one of them"))
                }
            }
        }
        if !errors.isEmpty { throw PlanErrors(errors: errors) }
    }

    /// A host process bound to a port this layer publishes never sees a connection again:
    /// the DNAT in prerouting (and output, for the host's own) takes them all first.
    func shadowNotes() -> [String] {
        let bound = observed.boundSockets ?? []
        return manifest.containers.flatMap { c in
            c.ports.compactMap { p -> String? in
                let proto = p.transport
                let hits = bound.filter { $0.proto == proto && $0.local.port == p.host }
                guard !hits.isEmpty else { return nil }
                let who = hits.map { "\($0.local) (uid \($0.uid), socket inode \($0.inode))" }.joined(separator: ", ")
                return "warning: \(proto.rawValue)/\(p.host) is bound by a host process: \(who), as `ss -\(proto == .tcp ? "lt" : "lu")n` shows; "
                    + "the DNAT to \(c.name):\(p.container) shadows it: every connection to this host's addresses at \(p.host) goes to \(c.name), none to that process"
            }
        }
    }

    /// A forward is made on each family the container has an address of on a bridge; one
    /// that answers on one family only is said, never left for a client to find out.
    func familyNotes() -> [String] {
        manifest.containers.compactMap { c -> String? in
            guard !c.ports.isEmpty else { return nil }
            let (on, off) = NATDesign.forwardFamilies(c, manifest)
            guard let only = on.first, on.count == 1, let missing = off.first else { return nil }
            let ports = c.ports.map { "\($0.proto.rawValue)/\($0.host)" }.joined(separator: ", ")
            return "\(c.name)'s forwards (\(ports)) answer on \(CheckFamily(only).label) only: \(c.name) has no "
                + "\(missing == .v6 ? "global IPv6" : "IPv4") address on a bridge, so the host's \(CheckFamily(missing).label) addresses do not forward them"
        }
    }
}
