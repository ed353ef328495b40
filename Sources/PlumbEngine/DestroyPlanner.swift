import PlumbManifest

extension Planner {
    /// Removes what the record says Plumb created and the kernel still shows as
    /// Plumb's (alias marker), then restores sysctls. Namespaces go first: deleting
    /// a netns removes its veths (and their host ends) without one slow RTM_DELLINK each.
    /// `sharedSysctls`: keys another manifest's record also changed; restoring them
    /// would pull a host setting out from under that manifest, so they stay.
    public func destroyPlan(sharedSysctls: Set<String> = []) -> Plan {
        var steps: [Step] = []
        if let t = record.firewallTable, observed.firewall != nil, t == NATDesign.table(for: manifest.name).description {
            steps.append(Step(.deleteFirewall, t))
        }
        let doomed = Set(record.namespaces.filter { observed.namedNamespaces.contains($0) })
        steps += record.namespaces.filter { doomed.contains($0) }.map { Step(.deleteNamespace, $0) }
        for l in record.links where l.namespace == hostNamespace && l.kind == "veth" {
            if let ns = l.peerNamespace, doomed.contains(ns) { continue }
            if isStillOurs(l.name) { steps.append(Step(.deleteLink, l.name)) }
        }
        for l in record.links where l.namespace == hostNamespace && l.kind == "bridge" && isStillOurs(l.name) {
            steps.append(Step(.deleteLink, l.name))
        }
        for key in record.sysctls.keys.sorted() where !sharedSysctls.contains(key) {
            let original = record.sysctls[key]!
            if !original.isEmpty, observed.sysctls[key] != original {
                steps.append(Step(.setSysctl, key, ["value": original, "old": observed.sysctls[key] ?? "", "reason": "restore"]))
            }
        }
        return Plan(manifest: manifest.name, steps: steps)
    }

    /// Present in the host namespace and still carrying our alias: a link of the
    /// same name made by someone else since is left alone.
    func isStillOurs(_ name: String) -> Bool {
        observed.host.link(named: name)?.alias == alias
    }
}
