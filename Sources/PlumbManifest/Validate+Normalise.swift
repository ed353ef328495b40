import PlumbTypes
/// Values the kernel rewrites: accepted in the form it will show, or refused here with the
/// reason, so nothing is applied and then reported as drift forever.
extension Checks {
    mutating func checkKernelForms() {
        for s in m.host.sysctl {
            if case .refused(let why) = SysctlValue.canonical(s.value) { report("host.sysctl.\(s.key)", why) }
        }
        for site in interfaceSites {
            guard case .veth(let name, _) = site.interface.kind, let mtu = site.interface.mtu,
                  let bi = m.bridges.firstIndex(where: { $0.name == name }), let bridgeMTU = m.bridges[bi].mtu,
                  mtu != bridgeMTU, (68...65535).contains(mtu), (68...65535).contains(bridgeMTU) else { continue }
            // The kernel lowers a bridge to its smallest port's MTU (apply would set it back
            // every time), and a bridge above a port's MTU silently drops the larger frames.
            report(site.path + ".mtu", "\(mtu) differs from bridge \(name)'s mtu \(bridgeMTU): the kernel lowers a bridge to its smallest port's MTU, and a bridge above a port's MTU drops larger frames to it; leave mtu out (a bridge port takes its bridge's) or make them equal",
                   involving: ["bridges[\(bi)].mtu"])
        }
    }
}

/// The manifest in the kernel's own forms, once it is valid: sysctl values as the kernel
/// prints them, and a bridge port's MTU as its bridge's when the bridge declares one.
enum Normalise {
    static func manifest(_ m: Manifest) -> Manifest {
        var m = m
        m.host.sysctl = m.host.sysctl.map { s in
            guard case .canonical(let v) = SysctlValue.canonical(s.value) else { return s }
            return Sysctl(key: s.key, value: v)
        }
        let bridgeMTU = Dictionary(m.bridges.compactMap { b in b.mtu.map { (b.name, $0) } }, uniquingKeysWith: { a, _ in a })
        for ci in m.containers.indices {
            for ii in m.containers[ci].interfaces.indices {
                let iface = m.containers[ci].interfaces[ii]
                guard iface.mtu == nil, case .veth(let bridge, _) = iface.kind, let mtu = bridgeMTU[bridge] else { continue }
                m.containers[ci].interfaces[ii].mtu = mtu
            }
        }
        return m
    }
}
