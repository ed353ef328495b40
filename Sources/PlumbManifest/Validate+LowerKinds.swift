import PlumbTypes

/// The kinds made on another link (ipvlan, vlan): what the kernel would refuse half way
/// through an apply, refused here with the field's path.
extension Checks {
    mutating func checkLowerKinds(_ site: InterfaceSite) {
        let iface = site.interface
        switch iface.kind {
        case .ipvlan(let parent, _, _):
            // An ipvlan has its parent's MAC; one set on it is set on the parent's port.
            if iface.mac != nil {
                report(site.path + ".mac", "an ipvlan has its parent's MAC (\(parent)'s) and cannot have its own; leave mac out or use a macvlan")
            }
        case .vlan(let parent, let id, _):
            range(id, 1...4094, at: site.path + ".vlan.id")
            // A parent by the VLAN's own name is the host's link (a container's eth1 on the host's eth1).
            if let pi = site.container.interfaces.firstIndex(where: { $0.name == parent }), pi > site.index {
                // The parent is made (or moved in) by the same apply, in the listed order.
                report(site.path + ".vlan.parent", "parent \(parent) is interfaces[\(pi)] of the same container: list it before the VLAN on it",
                       involving: ["containers[\(site.containerIndex)].interfaces[\(pi)]"])
            }
            if let sibling = site.container.interfaces.first(where: { $0.name == parent && $0.name != iface.name }),
               case .userspaceVF(_, _, let driver) = sibling.kind {
                report(site.path + ".vlan.parent", "parent \(parent) is a VF bound to \(driver.rawValue): it has no netdev to carry a VLAN")
            }
        case .veth, .vf, .userspaceVF, .macvlan: break
        }
    }

    /// The kernel keeps one ipvlan mode and flag per parent (the last created switches the
    /// others) and one VLAN per parent, protocol and id: two interfaces of the manifest that
    /// would collide are refused, naming both.
    mutating func checkSharedParents() {
        var ipvlans: [String: (IpvlanMode, IpvlanFlag, String)] = [:]
        var vlans: [String: String] = [:]
        for site in interfaceSites {
            switch site.interface.kind {
            case .ipvlan(let parent, let mode, let flag):
                guard let (m, f, path) = ipvlans[parent] else {
                    ipvlans[parent] = (mode, flag, site.path)
                    continue
                }
                if m != mode {
                    report(site.path + ".ipvlan.mode", "\(mode.rawValue) differs from \(path).ipvlan.mode's \(m.rawValue) on the same parent \(parent): the kernel keeps one ipvlan mode per parent",
                           involving: [path + ".ipvlan.mode"])
                } else if f != flag {
                    report(site.path + ".ipvlan.flags", "\(flag.rawValue) differs from \(path).ipvlan.flags's \(f.rawValue) on the same parent \(parent): the kernel keeps one ipvlan flag per parent",
                           involving: [path + ".ipvlan.flags"])
                }
            case .vlan(let parent, let id, let proto):
                // A sibling parent is the container's own link; any other is the host's.
                let scope = site.container.hasSibling(parent, of: site.interface.name) ? "container \(site.container.name)" : "host"
                let key = "\(scope)/\(parent)/\(proto.rawValue)/\(id)"
                if let path = vlans[key] {
                    report(site.path + ".vlan.id", "\(path) is already VLAN \(id) (\(proto.rawValue)) of \(parent): the kernel allows one per parent",
                           involving: [path])
                } else {
                    vlans[key] = site.path + ".vlan.id"
                }
            case .veth, .vf, .userspaceVF, .macvlan: break
            }
        }
    }
}
