import PlumbManifest
import PlumbNetlink
import PlumbTypes

extension Verifier {
    /// The container's macvlan sits on the declared parent in the declared mode: a
    /// macvlan re-made by hand on another NIC would pass every other check.
    func macvlanCheck(_ l: LinkInfo, parent: String, mode: MacvlanMode, host: NamespaceSnapshot) -> Check {
        let parentLink = host.link(named: parent)
        let onParent = l.kind == "macvlan" && parentLink != nil && l.peerIndex == parentLink?.index
        let observedParent = l.peerIndex.map { i in host.link(index: i)?.name ?? "ifindex \(i)" } ?? "none"
        return .expect("macvlan", l.name, onParent && l.macvlanMode == mode,
                       expected: "macvlan mode \(mode.rawValue) on \(parent)",
                       observed: "\(l.kind ?? "physical")\(l.macvlanMode.map { " mode \($0.rawValue)" } ?? "") on \(observedParent)",
                       evidence: [.netlink])
    }
}

extension Verifier {
    /// A macvlan takes its carrier from its parent, and only when the kernel's rate-limited
    /// linkwatch work announces the parent's (a bridge whose first port just came up, a
    /// veth whose peer just did: up to a second later). A macvlan that is up without carrier
    /// while its parent is up gets a bounded wait before it is judged.
    func waitForMacvlanLinks(_ c: Container, ns: NamespaceRef, timeout: Duration = .seconds(2)) throws {
        let parents = c.interfaces.compactMap { iface -> (String, String)? in
            // An ipvlan or a VLAN takes its carrier from its parent too (host parents only here).
            switch iface.kind {
            case .macvlan(let parent, _), .ipvlan(let parent, _, _): return (iface.name, parent)
            case .vlan(let parent, _, _) where !c.hasSibling(parent, of: iface.name): return (iface.name, parent)
            case .vlan, .veth, .vf, .userspaceVF: return nil
            }
        }
        guard !parents.isEmpty else { return }
        let ops = try kernel.links(in: ns), host = try kernel.links(in: .host)
        for (name, parent) in parents {
            guard let l = try ops.link(name: name), l.up, !l.carrier, try host.link(name: parent)?.up == true else { continue }
            _ = try? ops.waitForCarrier(index: l.index, name: name, timeout: timeout)
        }
    }
}
