/// Names that must point at something declared elsewhere in the manifest.
extension Checks {
    mutating func checkReferences() {
        let bridgeNames = m.bridges.map(\.name), nicRefs = m.nics.map(\.reference)
        let bridgePaths = m.bridges.indices.map { "bridges[\($0)].name" }
        let nicPaths = m.nics.indices.map(nicPath)
        for site in interfaceSites {
            switch site.interface.kind {
            case .veth(let bridge, _) where !bridgeNames.contains(bridge):
                report(site.path + ".veth.bridge", "bridge \(bridge) is not declared\(declared("bridges", bridgeNames))",
                       involving: bridgePaths)
            case .vf(let nic, _) where !nicRefs.contains(nic), .userspaceVF(let nic, _, _) where !nicRefs.contains(nic):
                report(site.path + ".vf.nic", "nic \(nic) is not declared\(declared("nics", nicRefs))",
                       involving: nicPaths)
            default: break
            }
        }
        for (ci, c) in m.containers.enumerated() { checkRouteDevices(c, at: "containers[\(ci)]") }
    }

    mutating func checkRouteDevices(_ c: Container, at path: String) {
        let names = c.interfaces.map(\.name)
        let namePaths = c.interfaces.indices.map { "\(path).interfaces[\($0)].name" }
        for (ri, r) in c.routes.enumerated() {
            guard let dev = r.dev, !names.contains(dev) else { continue }
            report("\(path).routes[\(ri)].dev", "container \(c.name) has no interface \(dev)", involving: namePaths)
        }
    }

    /// "; declared bridges: br0, br1" — the likely fix is a typo in one of these.
    func declared(_ kind: String, _ names: [String]) -> String {
        names.isEmpty ? " (the manifest declares no \(kind))" : "; declared \(kind): \(names.joined(separator: ", "))"
    }
}
