import PlumbTypes
/// Things that must be declared once: names, namespaces, VFs, addresses, host ports.
extension Checks {
    mutating func checkUniqueness() {
        unique(m.bridges.indices.map { ("bridges[\($0)].name", m.bridges[$0].name) }) { "bridge \($0)" }
        unique(m.containers.indices.map { ("containers[\($0)].name", m.containers[$0].name) }) { "container \($0)" }
        unique(m.nics.indices.map { (nicPath($0), m.nics[$0].reference) }) { "nic \($0)" }
        for (ci, c) in m.containers.enumerated() {
            unique(c.interfaces.indices.map { ("containers[\(ci)].interfaces[\($0)].name", c.interfaces[$0].name) }) {
                "interface \($0) of container \(c.name)"
            }
        }
        for (ni, nic) in m.nics.enumerated() {
            let vfs = nic.sriov?.vfs ?? []
            unique(vfs.indices.map { ("nics[\(ni)].sriov.vfs[\($0)].index", String(vfs[$0].index)) }) { "VF \($0)" }
        }
        checkSharedNetns()
        checkSharedVFs()
        checkSharedAddresses()
        checkHostNames()
        checkHostPorts()
    }

    /// The path that names a NIC, whichever way it is selected.
    func nicPath(_ i: Int) -> String {
        switch m.nics[i].selector {
        case .name: return "nics[\(i)].name"
        case .pci: return "nics[\(i)].match.pci"
        case .mac: return "nics[\(i)].match.mac"
        }
    }

    /// Reports every repeat of a key after its first declaration.
    mutating func unique(_ items: [(path: String, key: String)], _ what: (String) -> String) {
        var first: [String: String] = [:]
        for item in items {
            if let earlier = first[item.key] {
                report(item.path, "\(what(item.key)) is already declared at \(place(earlier))", involving: [earlier])
            } else {
                first[item.key] = item.path
            }
        }
    }

    mutating func checkSharedNetns() {
        var first: [NamespaceRef: (path: String, name: String)] = [:]
        for (ci, c) in m.containers.enumerated() {
            guard let ns = c.netns.map(NetnsPath.canonical) else { continue }
            let path = "containers[\(ci)].netns"
            if let earlier = first[ns] {
                report(path, "\(ns) is already used by container \(earlier.name) at \(place(earlier.path))",
                       involving: [earlier.path])
            } else {
                first[ns] = (path, c.name)
            }
        }
    }

    mutating func checkSharedVFs() {
        var first: [String: InterfaceSite] = [:]
        for site in interfaceSites {
            guard let (nic, index) = site.interface.vfReference else { continue }
            let key = "\(nic)#\(index)", path = site.path + ".vf"
            if let earlier = first[key] {
                report(path, "VF \(index) of \(nic) is already used by \(earlier.label) at \(place(earlier.path + ".vf"))",
                       involving: [earlier.path + ".vf"])
            } else {
                first[key] = site
            }
        }
    }

    /// One address, one owner: two interfaces (or an interface and a bridge) with the same IP
    /// would answer ARP for each other.
    mutating func checkSharedAddresses() {
        var first: [IPAddress: (path: String, owner: String)] = [:]
        var owners: [(path: String, owner: String, address: IPAddress)] = []
        for (bi, b) in m.bridges.enumerated() {
            owners += b.addresses.enumerated().map { ("bridges[\(bi)].addresses[\($0)]", "bridge \(b.name)", $1.address) }
        }
        for site in interfaceSites {
            owners += site.interface.addresses.enumerated().map { ("\(site.path).addresses[\($0)]", site.label, $1.address) }
        }
        for o in owners {
            if let earlier = first[o.address] {
                report(o.path, "address \(o.address) is already used by \(earlier.owner) at \(place(earlier.path))",
                       involving: [earlier.path])
            } else {
                first[o.address] = (o.path, o.owner)
            }
        }
    }

    /// Host-side link names share one namespace: veth host ends, bridges and named NICs.
    mutating func checkHostNames() {
        var taken: [String: (path: String, owner: String)] = [:]
        for (ni, nic) in m.nics.enumerated() {
            if case .name(let n) = nic.selector, taken[n] == nil { taken[n] = ("nics[\(ni)].name", "nic \(n)") }
        }
        for (bi, b) in m.bridges.enumerated() {
            let path = "bridges[\(bi)].name"
            if let earlier = taken[b.name], earlier.owner.hasPrefix("nic") {
                report(path, "bridge \(b.name) has the name of \(earlier.owner) at \(place(earlier.path))", involving: [earlier.path])
            } else if taken[b.name] == nil {
                taken[b.name] = (path, "bridge \(b.name)")
            }
        }
        for site in interfaceSites { checkHostName(of: site, taken: &taken) }
    }

    private mutating func checkHostName(of site: InterfaceSite, taken: inout [String: (path: String, owner: String)]) {
        guard case .veth(_, let given) = site.interface.kind, let name = site.container.hostName(of: site.interface) else {
            return
        }
        let path = given == nil ? site.path + ".veth" : site.path + ".veth.hostName"
        // A derived name rests on the container and interface names it is made of.
        let basis = [site.containerPath + ".name", site.path + ".name"]
        if let earlier = taken[name] {
            let what = given == nil ? "derived host interface name" : "host interface name"
            let fix = given == nil ? "; set veth.hostName" : ""
            report(path, "\(what) \(name) is already used by \(earlier.owner) at \(place(earlier.path))\(fix)",
                   involving: basis + [earlier.path])
        } else {
            taken[name] = (path, "the host end of \(site.label)")
        }
    }

    mutating func checkHostPorts() {
        var first: [String: (path: String, container: String)] = [:]
        for (ci, c) in m.containers.enumerated() {
            for (pi, p) in c.ports.enumerated() {
                let path = "containers[\(ci)].ports[\(pi)].host", key = "\(p.proto.rawValue)/\(p.host)"
                if let earlier = first[key] {
                    report(path, "\(p.proto.rawValue) port \(p.host) is already forwarded to container \(earlier.container) at \(place(earlier.path))",
                           involving: [earlier.path])
                } else {
                    first[key] = (path, c.name)
                }
            }
        }
    }
}
