import PlumbManifest
import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// Re-reads the kernel after apply (or on `plumb verify`) and checks each container's
/// receive path: the namespace is the one recorded, the link, its addresses and
/// routes, its bridge port, then an active probe — a packet that really arrives
/// inside the namespace.
public struct Verifier {
    let kernel: any Kernel
    let layer: Layer
    let record: Record?
    /// The host ports other owners' records publish.
    let portsElsewhere: [PortClaim]
    /// The record's namespace entries by reference (one lookup per container).
    let recorded: [NamespaceRef: NamespaceEntry]
    /// Whether the run waits for the kernel to remove its outside network.
    let outsideRemoval: OutsideRemoval

    public init(kernel: any Kernel, layer: Layer, record: Record? = nil, portsElsewhere: [PortClaim] = [],
                outsideRemoval: OutsideRemoval = .awaited) {
        self.kernel = kernel; self.layer = layer; self.record = record; self.portsElsewhere = portsElsewhere
        self.outsideRemoval = outsideRemoval
        recorded = Dictionary((record?.namespaces ?? []).map { ($0.ref, $0) }, uniquingKeysWith: { a, _ in a })
    }

    var manifest: Manifest { layer.manifest }

    public func verify() throws -> VerifyReport {
        // Its namespace is made on another core while the host is read and probed.
        if needsOutside { kernel.prepareOutside(mark: outsideMark) }
        let host = try hostSnapshot()
        let hostNeighbours = Set(try kernel.links(in: .host).neighbours().map(\.address))
        Trace.mark("verify: host observed")
        let session = VerifySession()
        let containers: [ContainerReport]
        do {
            containers = try manifest.containers.map { try verify($0, host: host, hostNeighbours: hostNeighbours, session: session) }
        } catch {
            try? session.close(kernel, .awaited)
            throw error
        }
        Trace.mark("verify: containers checked")
        // A verify that failed is undone by its caller, which then says the kernel is as it
        // was: the outside must be gone by then, whatever the caller asked for.
        let failed = containers.contains { $0.checks.contains { $0.status == .fail } }
        try session.close(kernel, failed ? .awaited : outsideRemoval)
        Trace.mark("verify: session closed")
        return VerifyReport(manifest: layer.owner.displayName, containers: containers,
                            host: HostReport(checks: hostChecks(host) + sriovChecks() + eswitchChecks() + (try hostRuleChecks()) + (try natRulesCheck())), nics: try nicReports())
    }

    func hostChecks(_ host: NamespaceSnapshot) -> [Check] {
        var checks: [Check] = []
        for b in manifest.bridges where layer.managesHost {
            let l = host.link(named: b.name)
            checks.append(.expect("bridge-present", b.name, l?.kind == "bridge", expected: "bridge",
                                  observed: l.map { $0.kind ?? "link" } ?? "absent", evidence: [.netlink]))
            guard let l else { continue }
            checks.append(.expect("link-up", b.name, l.up, expected: "up", observed: l.up ? "up" : "down", evidence: [.netlink]))
            checks.append(addressCheck(b.name, desired: b.addresses, current: host.addresses(of: l.index, declared: b.addresses)))
            if let m = b.mtu {
                checks.append(.expect("mtu", b.name, l.mtu == m, expected: String(m), observed: String(l.mtu), evidence: [.netlink]))
            }
            checks.append(bridgeMTUCheck(l, host: host))
        }
        for s in NATDesign.requiredSysctls(layer) {
            let v = try? kernel.proc.sysctl(s.key)
            checks.append(.expect("sysctl", s.key, (v ?? nil).map { SysctlValue.same($0, s.value) } ?? false, expected: s.value, observed: (v ?? nil) ?? "absent", evidence: [.procfs]))
        }
        return checks
    }

    func verify(_ c: Container, host: NamespaceSnapshot, hostNeighbours: Set<IPAddress>, session: VerifySession) throws -> ContainerReport {
        guard let ns = c.netns else {
            return ContainerReport(name: c.name, netns: "", checks: [Check("netns-present", nil, .fail, expected: "a netns", observed: "none declared", evidence: [])])
        }
        let shown = ns.path ?? ns.description
        if let problem = try namespaceProblem(ns) {
            return ContainerReport(name: c.name, netns: shown, checks: [Check("netns-present", nil, .fail, expected: shown, observed: problem, evidence: [.namespaceIdentity])])
        }
        try waitForVFLinks(c, ns: ns, host: host)
        try waitForMacvlanLinks(c, ns: ns)
        let inner = try Observer(kernel: kernel).snapshot(ns)
        Trace.mark("verify \(c.name): namespace observed")
        var checks = [Check("netns-present", nil, .pass, expected: shown, observed: shown, evidence: [.namespaceIdentity])]
        for iface in c.interfaces {
            switch iface.kind {
            case .vf(let nic, let index):
                checks += interfaceChecks(iface, container: c, inner: inner, host: host) + (try vfChecks(iface, nic: nic, index: index))
            case .userspaceVF(let nic, let index, let driver):   // no netdev: its driver and /dev/vfio group
                checks += try userspaceVFChecks(iface, nic: nic, index: index, driver: driver)
            case .veth, .macvlan, .ipvlan, .vlan: checks += interfaceChecks(iface, container: c, inner: inner, host: host)
            }
        }
        checks += routeChecks(c, inner: inner)
        checks += try ruleChecks(c.effectiveRules, rules: c.effectiveRules.isEmpty ? [] : kernel.links(in: ns).rules())
        checks += try probes(c, ns: ns, inner: inner, host: host, hostNeighbours: hostNeighbours, session: session)
        Trace.mark("verify \(c.name): probes done")
        checks += try forwardChecks(c, ns: ns, inner: inner, host: host, session: session)
        return ContainerReport(name: c.name, netns: shown, checks: checks)
    }

    /// Why `ns` is not the container's namespace: absent, the host's own, or not the
    /// one the record names (re-created, or a pid now held by another process).
    func namespaceProblem(_ ns: NamespaceRef) throws -> String? {
        guard let id = try kernel.identity(of: ns) else { return "absent" }
        if id == (try kernel.hostIdentity()) { return "the host's own namespace (\(id))" }
        guard let entry = recorded[ns] else { return nil }
        if let recorded = entry.identity, recorded != id { return "another namespace (\(id)) than the one recorded (\(recorded))" }
        if let was = entry.process, case .pid(let pid) = ns.canonical, try kernel.process(pid) != was {
            return "pid \(pid) is no longer the process recorded (\(was))"
        }
        return nil
    }

    func interfaceChecks(_ iface: Interface, container c: Container, inner: NamespaceSnapshot, host: NamespaceSnapshot) -> [Check] {
        let n = iface.name
        guard let l = inner.link(named: n) else {
            return [Check("link-present", n, .fail, expected: "present", observed: "absent", evidence: [.netlink])]
        }
        var checks = [Check("link-present", n, .pass, expected: "present", observed: "ifindex \(l.index)", evidence: [.netlink])]
        // IFF_LOWER_UP is the carrier as the driver sets it; the operstate follows it only
        // when the kernel's rate-limited linkwatch work has run (up to a second later).
        let carrier = l.carrier || l.operUp
        checks.append(.expect("link-up", n, l.up && carrier, expected: "up, carrier",
                              observed: "\(l.up ? "up" : "down"), \(carrier ? "carrier" : "no carrier")", evidence: [.netlink]))
        if let m = iface.mtu { checks.append(.expect("mtu", n, l.mtu == m, expected: String(m), observed: String(l.mtu), evidence: [.netlink])) }
        if let m = iface.mac {
            checks.append(.expect("mac", n, l.mac == m, expected: m.description, observed: l.mac?.description ?? "none", evidence: [.netlink]))
        }
        checks.append(addressCheck(n, desired: iface.addresses, current: inner.addresses(of: l.index, declared: iface.addresses)))
        switch iface.kind {
        case .veth(let bridge, _):
            checks.append(bridgePortCheck(iface.hostSideName(container: c.name), bridge: bridge, host: host))
            if let m = portMTUCheck(iface.hostSideName(container: c.name), peer: l, bridge: bridge, host: host) { checks.append(m) }
        case .macvlan(let parent, let mode): checks.append(macvlanCheck(l, parent: parent, mode: mode, host: host))
        case .ipvlan(let parent, let mode, let flag): checks.append(ipvlanCheck(l, parent: parent, mode: mode, flag: flag, host: host))
        case .vlan(let parent, let id, let proto):
            checks.append(vlanCheck(l, parent: parent, id: id, proto: proto, container: c, inner: inner, host: host))
        case .vf, .userspaceVF: break
        }
        return checks
    }

    func addressCheck(_ n: String, desired: [IPPrefix], current: [IPPrefix]) -> Check {
        let missing = desired.filter { !current.contains($0) }
        return .expect("addresses", n, missing.isEmpty, expected: desired.map(\.description).joined(separator: " "),
                       observed: current.isEmpty ? "none" : current.map(\.description).joined(separator: " "), evidence: [.netlink])
    }

    func bridgePortCheck(_ hostName: String, bridge: String, host: NamespaceSnapshot) -> Check {
        guard let l = host.link(named: hostName) else {
            return Check("bridge-port", hostName, .fail, expected: "\(hostName) up, master \(bridge)", observed: "host end absent", evidence: [.netlink])
        }
        let master = l.master.flatMap { host.link(index: $0)?.name }
        return .expect("bridge-port", hostName, l.up && master == bridge, expected: "\(hostName) up, master \(bridge)",
                       observed: "\(hostName) \(l.up ? "up" : "down"), master \(master ?? "none")", evidence: [.netlink])
    }

    func routeChecks(_ c: Container, inner: NamespaceSnapshot) -> [Check] {
        c.effectiveRoutes.map { r in
            let dev = c.device(for: r)
            let want = RouteInfo(destination: r.to, gateway: r.via, metric: r.kernelMetric, table: r.kernelTable).describe(device: dev ?? "?")
            let found = dev.flatMap { inner.route(r, on: $0) }
            return .expect("routes", dev, found != nil, expected: want, observed: found != nil ? want : "absent", evidence: [.netlink])
        }
    }

    /// The host's rules, for the layer that manages the host.
    func hostRuleChecks() throws -> [Check] {
        guard layer.managesHost, !manifest.host.rules.isEmpty else { return [] }
        return ruleChecks(manifest.host.rules, rules: try kernel.links(in: .host).rules())
    }

    /// One row per rule and family: the kernel holds it (`ip rule` shows it, lookup and all).
    func ruleChecks(_ wanted: [PlumbManifest.Rule], rules seen: [RuleInfo]) -> [Check] {
        wanted.flatMap(Planner.kernelRules).map { want in
            let found = seen.first { $0.matches(want) }
            return Check.expect("rules", nil, found != nil, expected: want.text,
                                observed: found.map { "\($0.text) (proto \($0.proto))" } ?? "absent", evidence: [.netlink])
                .speaking(want.family)
        }
    }
}
