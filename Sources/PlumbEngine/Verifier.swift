import PlumbManifest
import PlumbNetlink
import PlumbSystem

/// Re-reads the kernel after apply (or on `plumb verify`) and checks each
/// container's receive path: the link, its addresses and routes, its bridge port,
/// then an active probe — a packet that really arrives inside the namespace.
public struct Verifier {
    let session: KernelSession
    let manifest: Manifest

    public init(session: KernelSession, manifest: Manifest) { self.session = session; self.manifest = manifest }

    public func verify() throws -> VerifyReport {
        let host = try Observer(session: session).snapshot(session.host)
        let hostNeighbours = Set(try session.host.neighbours().map(\.address))
        let containers = try manifest.containers.map { try verify($0, host: host, hostNeighbours: hostNeighbours) }
        return VerifyReport(manifest: manifest.name, containers: containers,
                            host: HostReport(checks: hostChecks(host) + (try natRulesCheck())), nics: try nicReports())
    }

    func hostChecks(_ host: NamespaceSnapshot) -> [Check] {
        var checks: [Check] = []
        for b in manifest.bridges where !manifest.hostLayerManagedElsewhere {
            let l = host.link(named: b.name)
            checks.append(.expect("bridge-present", b.name, l?.kind == "bridge", expected: "bridge",
                                  observed: l.map { $0.kind ?? "link" } ?? "absent"))
            guard let l else { continue }
            checks.append(.expect("link-up", b.name, l.up, expected: "up", observed: l.up ? "up" : "down"))
            checks.append(addressCheck(b.name, desired: b.addresses, current: host.addresses(of: l.index)))
        }
        for s in (manifest.hostLayerManagedElsewhere ? [] : manifest.host.sysctl) + NATDesign.impliedSysctls(manifest) {
            let v = try? Sysctls.read(s.key)
            checks.append(.expect("sysctl", s.key, v == s.value, expected: s.value, observed: v ?? "absent"))
        }
        return checks
    }

    func verify(_ c: Container, host: NamespaceSnapshot, hostNeighbours: Set<IPAddress>) throws -> ContainerReport {
        guard let ref = c.netns else {
            return ContainerReport(name: c.name, netns: "", checks: [Check("netns-present", nil, .fail, expected: "a netns", observed: "none declared")])
        }
        guard let h = try session.handle(ref.key) else {
            return ContainerReport(name: c.name, netns: ref.key,
                                   checks: [Check("netns-present", nil, .fail, expected: ref.path, observed: "absent")])
        }
        let inner = try Observer(session: session).snapshot(h.socket)
        var checks = [Check("netns-present", nil, .pass, expected: ref.path, observed: ref.path)]
        for iface in c.interfaces {
            checks += interfaceChecks(iface, container: c, inner: inner, host: host)
            if case .vf(let nic, let index) = iface.kind { checks += try vfChecks(iface, nic: nic, index: index) }
        }
        checks += routeChecks(c, inner: inner)
        checks += try probes(c, inner: inner, handle: h, hostNeighbours: hostNeighbours)
        checks += try portChecks(c, handle: h)
        return ContainerReport(name: c.name, netns: ref.key, checks: checks)
    }

    func interfaceChecks(_ iface: Interface, container c: Container, inner: NamespaceSnapshot, host: NamespaceSnapshot) -> [Check] {
        let n = iface.name
        guard let l = inner.link(named: n) else {
            return [Check("link-present", n, .fail, expected: "present", observed: "absent")]
        }
        var checks = [Check("link-present", n, .pass, expected: "present", observed: "ifindex \(l.index)")]
        checks.append(.expect("link-up", n, l.up && l.operUp, expected: "up, carrier",
                              observed: "\(l.up ? "up" : "down"), \(l.operUp ? "carrier" : "no carrier")"))
        if let m = iface.mtu { checks.append(.expect("mtu", n, l.mtu == m, expected: String(m), observed: String(l.mtu))) }
        if let m = iface.mac {
            checks.append(.expect("mac", n, l.mac == m, expected: m.description, observed: l.mac?.description ?? "none"))
        }
        checks.append(addressCheck(n, desired: iface.addresses, current: inner.addresses(of: l.index)))
        if case .veth(let bridge, _) = iface.kind {
            checks.append(bridgePortCheck(iface.hostSideName(container: c.name), bridge: bridge, host: host))
        }
        return checks
    }

    func addressCheck(_ n: String, desired: [IPPrefix], current: [IPPrefix]) -> Check {
        let missing = desired.filter { !current.contains($0) }
        return .expect("addresses", n, missing.isEmpty, expected: desired.map(\.description).joined(separator: " "),
                       observed: current.isEmpty ? "none" : current.map(\.description).joined(separator: " "))
    }

    func bridgePortCheck(_ hostName: String, bridge: String, host: NamespaceSnapshot) -> Check {
        guard let l = host.link(named: hostName) else {
            return Check("bridge-port", hostName, .fail, expected: "\(hostName) up, master \(bridge)", observed: "host end absent")
        }
        let master = l.master.flatMap { host.link(index: $0)?.name }
        return .expect("bridge-port", hostName, l.up && master == bridge, expected: "\(hostName) up, master \(bridge)",
                       observed: "\(hostName) \(l.up ? "up" : "down"), master \(master ?? "none")")
    }

    func routeChecks(_ c: Container, inner: NamespaceSnapshot) -> [Check] {
        c.routes.map { r in
            let metric = r.metric ?? 0
            let dev = r.dev ?? c.interfaces.first { i in r.via.map { v in i.addresses.contains { $0.contains(v) } } ?? false }?.name
            let want = RouteInfo(destination: r.to, gateway: r.via, metric: metric).describe(device: dev ?? "?")
            let found = inner.routes.first { o in
                o.destination.network == r.to.network && o.gateway == r.via && o.metric == metric
                    && o.index.flatMap { inner.link(index: $0)?.name } == dev
            }
            return .expect("routes", dev, found != nil, expected: want, observed: found != nil ? want : "absent")
        }
    }
}
