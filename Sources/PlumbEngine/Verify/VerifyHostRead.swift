import PlumbManifest
import PlumbNetlink

extension Verifier {
    /// The host as this verify reads it. A layer that leaves the host to another (a CNI
    /// attachment, a hook's container) and whose containers have only veths looks at a few
    /// host links, each by name: its bridges and its veths' host ends (and their masters).
    /// Those are read one by one — `ip link show dev X` each, not `ip link` — so the verify
    /// of a pod does not grow with the links on its node (hundreds on a busy one: a dump
    /// cost ~10 µs per link). Addresses and routes are read whole (they do not grow with
    /// the pods). Any other layer reads every link, as the plan did.
    func hostSnapshot() throws -> NamespaceSnapshot {
        guard let names = vethOnlyHostLinks() else { return try Observer(kernel: kernel).snapshot(.host) }
        let ops = try kernel.links(in: .host)
        var links: [LinkInfo] = []
        for name in names.sorted() {
            if let l = try ops.link(name: name) { links.append(l) }
        }
        for master in Set(links.compactMap(\.master)).sorted() where !links.contains(where: { $0.index == master }) {
            if let l = try ops.link(index: master) { links.append(l) }
        }
        return NamespaceSnapshot(links: links, addresses: try ops.addresses(), routes: try ops.routes())
    }

    /// The host links a veth-only layer that does not manage the host looks at; nil for any
    /// other layer.
    func vethOnlyHostLinks() -> Set<String>? {
        guard !layer.managesHost else { return nil }
        var names = Set(manifest.bridges.map(\.name))
        for c in manifest.containers {
            for i in c.interfaces {
                switch i.kind {
                case .veth(let bridge, _):
                    names.insert(bridge)
                    names.insert(i.hostSideName(container: c.name))
                case .vf, .userspaceVF, .macvlan, .ipvlan, .vlan:
                    return nil
                }
            }
        }
        return names
    }
}
