import PlumbManifest
import PlumbNetlink

/// Desired (manifest) + observed (kernel) + record (what is ours) → ordered steps.
/// Pure: no kernel, no files, so `plan` runs on a recorded state and unit tests
/// drive it from fixtures. An empty plan means converged.
public struct Planner {
    public let manifest: Manifest
    public let observed: ObservedState
    public let record: OwnershipRecord
    /// `--allow-disruptive`: a VF count change that must pass through 0 is allowed.
    public let allowDisruptive: Bool

    public init(manifest: Manifest, observed: ObservedState, record: OwnershipRecord?, allowDisruptive: Bool = false) {
        self.manifest = manifest; self.observed = observed
        self.record = record ?? OwnershipRecord(manifest: manifest.name)
        self.allowDisruptive = allowDisruptive
    }

    var alias: String { ownershipAlias(manifest.name) }

    /// The apply plan, in kernel order: sysctls, namespaces, bridges, veths,
    /// peer settings, addresses, then routes (gateways must be reachable first).
    public func applyPlan() throws -> Plan {
        var errors: [PlanError] = []
        var phases = Phases()
        do { phases.sysctls = try sysctlSteps() } catch let e as PlanErrors { errors += e.errors }
        for (i, nic) in manifest.nics.enumerated() where !manifest.hostLayerManagedElsewhere {
            do { phases.sriov += try sriovSteps(nic, index: i) } catch let e as PlanError { errors.append(e) }
            do { phases.tuning += try tuningSteps(nic, index: i) } catch let e as PlanError { errors.append(e) }
        }
        for (i, b) in manifest.bridges.enumerated() where !manifest.hostLayerManagedElsewhere {
            do { try bridgeSteps(b, index: i, into: &phases) } catch let e as PlanError { errors.append(e) }
        }
        for (i, c) in manifest.containers.enumerated() {
            do { try containerSteps(c, index: i, into: &phases) } catch let e as PlanError { errors.append(e) }
        }
        do { phases.firewall = try firewallSteps() } catch let e as PlanError { errors.append(e) }
        if !errors.isEmpty { throw PlanErrors(errors: errors) }
        return Plan(manifest: manifest.name, steps: phases.ordered)
    }

    struct Phases {
        var sysctls: [Step] = [], namespaces: [Step] = [], links: [Step] = [], settings: [Step] = []
        var addresses: [Step] = [], routes: [Step] = [], firewall: [Step] = [], tuning: [Step] = [], sriov: [Step] = []
        var ordered: [Step] { sysctls + sriov + tuning + namespaces + links + settings + addresses + routes + firewall }
    }

    func error(_ path: String, _ message: String) -> PlanError {
        PlanError(path: path, line: manifest.lines.line(of: path), message: message)
    }

    // MARK: host

    /// A sysctl missing here is an error before any change: net.core.netdev_budget
    /// and netdev_max_backlog, for one, exist only in the initial network namespace.
    func sysctlSteps() throws -> [Step] {
        var errors: [PlanError] = []
        let steps = desiredSysctls.compactMap { s -> Step? in
            guard let current = observed.sysctls[s.key] else {
                let hint = s.key.hasPrefix("net.core.") ? "; net.core settings exist only in the initial network namespace, and plumb runs in another one" : ""
                errors.append(error("host.sysctl.\(s.key)", "no such sysctl here (/proc/sys/\(s.key.split(separator: ".").joined(separator: "/")))\(hint)"))
                return nil
            }
            guard current != s.value else { return nil }
            return Step(.setSysctl, s.key, ["value": s.value, "old": current])
        }
        if !errors.isEmpty { throw PlanErrors(errors: errors) }
        return steps
    }

    func bridgeSteps(_ b: Bridge, index i: Int, into p: inout Phases) throws {
        let path = "bridges[\(i)]"
        let mac = bridgeMAC(b.name)
        guard let link = observed.host.link(named: b.name) else {
            var f = ["mac": mac.description]
            if let m = b.mtu { f["mtu"] = String(m) }
            p.links.append(Step(.createBridge, b.name, f))
            p.settings.append(Step(.setLink, b.name, ["up": "true", "alias": alias]))
            p.addresses += b.addresses.map { Step(.addAddress, b.name, ["prefix": $0.description]) }
            return
        }
        guard link.kind == "bridge" else {
            throw error("\(path).name", "\(b.name) exists and is a \(link.kind ?? "physical") link, not a bridge")
        }
        try requireOwned(link, in: hostNamespace, path: "\(path).name")
        p.settings += linkSettings(link, in: hostNamespace, mtu: b.mtu, mac: mac)
        p.addresses += addressSteps(link, desired: b.addresses, snapshot: observed.host, in: hostNamespace)
    }

    /// The bridge's own MAC: stable across applies (derived from the manifest and
    /// bridge names), locally administered, unicast. Containers' ARP entries for
    /// their gateway stay valid when ports are added, removed or replaced.
    func bridgeMAC(_ name: String) -> MACAddress {
        var h: UInt64 = 0xcbf29ce484222325
        for byte in "plumb/\(manifest.name)/\(name)".utf8 { h = (h ^ UInt64(byte)) &* 0x100000001b3 }
        return MACAddress(bytes: [0x02] + (0..<5).map { UInt8(truncatingIfNeeded: h >> (8 * UInt64($0))) })!
    }

    /// A link with a desired name that Plumb did not create is not ours to change.
    func requireOwned(_ link: LinkInfo, in ns: NamespaceKey, path: String) throws {
        guard link.alias == alias || record.owns(link: link.name, in: ns) else {
            let whose = link.alias.map { " (alias \"\($0)\")" } ?? ""
            throw error(path, "\(link.name) already exists in \(ns == hostNamespace ? "the host namespace" : "netns \(ns)") and was not created by plumb for manifest \(manifest.name)\(whose); rename it in the manifest or remove it")
        }
    }

    /// up, MTU, MAC and the ownership alias of an existing link of ours.
    func linkSettings(_ l: LinkInfo, in ns: NamespaceKey, mtu: Int?, mac: MACAddress?) -> [Step] {
        var f: [String: String] = [:]
        if !l.up { f["up"] = "true" }
        if let m = mtu, l.mtu != m { f["mtu"] = String(m) }
        if let m = mac, l.mac != m { f["mac"] = m.description }
        if l.alias != alias { f["alias"] = alias }
        return f.isEmpty ? [] : [Step(.setLink, l.name, in: ns, f)]
    }

    /// Missing addresses are added; addresses on our link that the manifest does not
    /// declare are removed (the link is ours, so its addresses are too).
    func addressSteps(_ l: LinkInfo, desired: [IPPrefix], snapshot: NamespaceSnapshot, in ns: NamespaceKey) -> [Step] {
        let current = snapshot.addresses(of: l.index)
        let add = desired.filter { !current.contains($0) }
            .map { Step(.addAddress, l.name, in: ns, ["prefix": $0.description]) }
        let del = current.filter { !desired.contains($0) }
            .map { Step(.deleteAddress, l.name, in: ns, ["prefix": $0.description, "reason": "not in the manifest"]) }
        return del + add
    }
}
