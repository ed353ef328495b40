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
        return Plan(manifest: manifest.name, steps: steps + tuningRestoreSteps())
    }

    /// Sets each recorded original tuning value back, where the NIC still exists.
    func tuningRestoreSteps() -> [Step] {
        record.nicOriginals.keys.sorted().flatMap { key -> [Step] in
            let originals = record.nicOriginals[key]!
            if key.hasPrefix("irq ") {
                let irq = String(key.dropFirst(4))
                return originals["\(Step.Action.setIRQAffinity.rawValue).cpus"].map { [Step(.setIRQAffinity, irq, ["cpus": $0, "reason": "restore", "old.cpus": $0])] } ?? []
            }
            guard observed.nics[key] != nil else { return [] }
            func step(_ a: Step.Action, _ keys: [String]) -> Step? {
                var f: [String: String] = ["reason": "restore"]
                for k in keys { if let v = originals["\(a.rawValue).\(k)"] { f[k] = v; f["old.\(k)"] = v } }
                return f.count > 1 ? Step(a, key, f) : nil
            }
            return [step(.setRings, ["rx", "tx"]), step(.setChannels, ["combined", "rx", "tx"]),
                    step(.setCoalesce, ["adaptiveRx", "rxUsecs", "rxFrames"]), step(.setOffload, ["gro"])].compactMap { $0 }
        }
    }

    /// Present in the host namespace and still carrying our alias: a link of the
    /// same name made by someone else since is left alone.
    func isStillOurs(_ name: String) -> Bool {
        observed.host.link(named: name)?.alias == alias
    }
}
