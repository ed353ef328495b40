import PlumbManifest
import PlumbNetlink

extension Planner {
    /// The kernel numbers a bridge's ports 1…1023 (BR_MAX_PORTS 1024): port 1024 fails
    /// with a bare EXFULL after all the work before it. Refused before any change.
    static let bridgePortLimit = 1023

    func checkBridgePorts(_ p: Phases) throws {
        var added: [String: Int] = [:]
        for step in p.links {
            if case .createVeth(let v) = step.action { added[v.bridge, default: 0] += 1 }
        }
        var errors: [PlanError] = []
        for (bridge, new) in added.sorted(by: { $0.key < $1.key }) {
            let br = index.hostLinks[bridge]
            let existing = br.map { br in observed.host.links.filter { $0.master == br.index }.count } ?? 0
            let replaced = p.links.filter { s in
                guard case .deleteLink(let d) = s.action, d.link.namespace == .host,
                      let l = index.hostLinks[d.link.name], let br else { return false }
                return l.master == br.index
            }.count
            let total = existing - replaced + new
            guard total > Self.bridgePortLimit else { continue }
            let path = firstVethPath(on: bridge) ?? "bridges"
            errors.append(error(path, "bridge \(bridge) would have \(total) ports (\(existing - replaced) now, \(new) more); a Linux bridge holds at most \(Self.bridgePortLimit) (BR_MAX_PORTS): spread the containers over more bridges"))
        }
        if !errors.isEmpty { throw PlanErrors(errors: errors) }
    }

    /// The manifest path of the first veth on `bridge`, for the error.
    func firstVethPath(on bridge: String) -> String? {
        for (ci, c) in manifest.containers.enumerated() {
            for (ii, iface) in c.interfaces.enumerated() {
                if case .veth(let b, _) = iface.kind, b == bridge { return "containers[\(ci)].interfaces[\(ii)].veth.bridge" }
            }
        }
        return nil
    }
}
