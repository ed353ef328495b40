import PlumbManifest
import PlumbNetlink
import PlumbTypes

extension Planner {
    /// Declared sysctls plus those NAT implies. A sysctl missing here is an error before
    /// any change: net.core.netdev_budget and netdev_max_backlog, for one, exist only in
    /// the initial network namespace.
    func sysctlSteps() throws -> [Step] {
        var errors: [PlanError] = []
        let steps = NATDesign.requiredSysctls(layer).compactMap { s -> Step? in
            guard let current = observed.sysctls[s.key] else {
                let hint = s.key.hasPrefix("net.core.") ? "; net.core settings exist only in the initial network namespace, and plumb runs in another one" : ""
                errors.append(error("host.sysctl.\(s.key)", "no such sysctl here (\(SysctlKeys.path(s.key)))\(hint)"))
                return nil
            }
            // In the kernel's form: "01" and "1" are one value (SysctlValue).
            guard !SysctlValue.same(current, s.value) else { return nil }
            return Step(.setSysctl(SysctlWrite(key: s.key, value: Change(to: s.value, from: current))))
        }
        if !errors.isEmpty { throw PlanErrors(errors: errors) }
        return steps
    }

    func bridgeSteps(_ b: Bridge, index i: Int, into p: inout Phases) throws {
        let path = "bridges[\(i)]"
        let mac = marks.mac(for: b.name)
        guard let link = index.hostLinks[b.name] ?? renamedBridge(b, into: &p) else {
            p.links.append(Step(.createBridge(BridgeCreation(name: b.name, mac: mac, mtu: b.mtu, alias: alias))))
            p.addresses += b.addresses.map { address(.add, $0, on: LinkRef(b.name)) }
            return
        }
        guard link.kind == "bridge" else {
            throw error("\(path).name", "\(b.name) exists and is a \(link.kind ?? "physical") link, not a bridge")
        }
        try requireOwned(link, in: .host, kind: .bridge, path: "\(path).name")
        p.settings += linkSettings(link, in: .host, mtu: b.mtu, mac: mac)
        p.addresses += addressSteps(link, desired: b.addresses, snapshot: observed.host, in: .host)
    }

    /// A bridge the record lists under `b`'s name that someone renamed: it still carries
    /// this owner's mark and its name is no bridge of the manifest. It gets its name back
    /// (by ifindex) rather than a twin that would hold the same gateway address.
    func renamedBridge(_ b: Bridge, into p: inout Phases) -> LinkInfo? {
        guard index.recordLink(b.name, in: .host)?.kind == .bridge,
              var l = observed.host.links.first(where: { l in
                  l.kind == "bridge" && l.name != b.name && marks.marks(l.marks, in: .host, declaredMAC: marks.mac(for: b.name))
                      && !manifest.bridges.contains { $0.name == l.name }
              }) else { return nil }
        p.renames.append(rename(l, to: b.name, in: .host))
        l.name = b.name
        return l
    }

    /// `ip link set dev OLD name NEW`, by ifindex.
    func rename(_ l: LinkInfo, to name: String, in ns: NamespaceRef) -> Step {
        Step(.setLink(LinkUpdate(link: LinkRef(l.name, in: ns, index: l.index), proof: .owner(alias: l.alias ?? "", mac: l.mac),
                                 to: LinkSettings(name: name), from: LinkSettings(name: l.name))),
             reason: "plumb's \(name) was renamed \(l.name)")
    }

    /// The proof a step carries for a link of this owner.
    func proof(_ name: String) -> LinkProof { .owner(alias: alias, mac: nil) }

    /// up, MTU, MAC and the mark of an existing link of ours.
    func linkSettings(_ l: LinkInfo, in ns: NamespaceRef, mtu: Int?, mac: MACAddress?, master: Master? = nil,
                      reason: String? = nil) -> [Step] {
        var to = LinkSettings(), from = LinkSettings()
        if !l.up { to.up = true; from.up = false }
        if let m = mtu, l.mtu != m { to.mtu = m; from.mtu = l.mtu }
        if let m = mac, l.mac != m, let old = l.mac { to.mac = m; from.mac = old }
        if l.alias != alias { to.alias = alias; from.alias = l.alias ?? "" }
        if let master {
            let current = l.master.flatMap { index.hostLinksByIndex[$0]?.name }.map(Master.bridge) ?? .none
            if current != master { to.master = master; from.master = current }
        }
        guard !to.isEmpty else { return [] }
        let ref = LinkRef(l.name, in: ns, index: l.index)
        return [Step(.setLink(LinkUpdate(link: ref, proof: .owner(alias: l.alias ?? "", mac: l.mac), to: to, from: from)),
                     reason: reason)]
    }

    enum AddressOp { case add, delete }

    func address(_ op: AddressOp, _ prefix: IPPrefix, on link: LinkRef, routes: [RouteSpec] = [], reason: String? = nil) -> Step {
        let change = AddressChange(link: link, proof: proof(link.name), prefix: prefix, routes: routes)
        switch op {
        case .add: return Step(.addAddress(change), reason: reason)
        case .delete: return Step(.deleteAddress(change), reason: reason)
        }
    }

    /// Missing addresses are added; addresses on our link that the manifest does not
    /// declare are removed (the link is ours, so its addresses are too). A deletion
    /// carries the routes through the link that the kernel may drop with it.
    func addressSteps(_ l: LinkInfo, desired: [IPPrefix], snapshot: NamespaceSnapshot, in ns: NamespaceRef) -> [Step] {
        let current = snapshot.addresses(of: l.index, declared: desired)
        let ref = LinkRef(l.name, in: ns, index: l.index)
        let routes = snapshot.routes.filter { $0.index == l.index && $0.proto != 2 }
            .map { RouteSpec(to: $0.destination.network, via: $0.gateway, metric: $0.metric, table: $0.table) }
        let del = current.filter { !desired.contains($0) }.map { gone in
            address(.delete, gone, on: ref, routes: routes.filter { r in r.via.map { gone.contains($0) } ?? false },
                    reason: "not in the manifest")
        }
        let add = desired.filter { !current.contains($0) }.map { address(.add, $0, on: ref) }
        return del + add
    }
}
