import PlumbManifest
import PlumbSystem

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
        // VFs go home first, under their old names, before their namespace is deleted
        // (the kernel would otherwise return them under whatever name is free).
        steps += record.movedVFs.filter { observed.namespaces[$0.namespace]?.link(named: $0.name) != nil }.map {
            Step(.returnVF, $0.name, in: $0.namespace, ["hostName": $0.hostName, "pf": $0.pf, "vf": String($0.index)])
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
        return Plan(manifest: manifest.name, steps: steps + tuningRestoreSteps() + sriovRestoreSteps())
    }

    /// PF-side VF settings back to their originals, then the VF count Plumb changed,
    /// then the modprobe.d file as it was.
    func sriovRestoreSteps() -> [Step] {
        var steps: [Step] = []
        let counts = record.nicOriginals.compactMapValues { $0["set-numvfs.count"] }
        for key in record.nicOriginals.keys.sorted() where key.contains(" vf ") {
            let parts = key.split(separator: " ")
            let pf = String(parts[0])
            if counts[pf] == "0" { continue }   // the VFs go away with the count
            var f = ["pf": pf, "vf": String(parts[2]), "reason": "restore", "driver": observed.pfs.values.first { $0.pf?.name == pf }?.pf?.driver ?? ""]
            for (k, v) in record.nicOriginals[key]! where k.hasPrefix("set-vf.") {
                let name = String(k.dropFirst(7))
                f[name] = v; f["old.\(name)"] = v
            }
            steps.append(Step(.setVF, key, f))
        }
        for (pf, original) in counts.sorted(by: { $0.key < $1.key }) {
            let current = observed.pfs.values.first { $0.pf?.name == pf }?.pf?.numVFs ?? 0
            let want = Int(original) ?? 0
            var old = current
            for n in NumVFsChange(current: current, desired: want).writes {
                steps.append(Step(.setNumVFs, pf, ["count": String(n), "old": String(old), "reason": "restore"]))
                old = n
            }
        }
        for (path, text) in record.modprobe.sorted(by: { $0.key < $1.key }) {
            steps.append(Step(.persistMaxVFs, path, ["restore": "true", "old": text, "reason": "restore"]))
        }
        return steps
    }

    /// Sets each recorded original tuning value back, where the NIC still exists.
    func tuningRestoreSteps() -> [Step] {
        record.nicOriginals.keys.sorted().flatMap { key -> [Step] in
            let originals = record.nicOriginals[key]!
            if key.hasPrefix("irq ") {
                let irq = String(key.dropFirst(4))
                return originals["\(Step.Action.setIRQAffinity.rawValue).cpus"].map { [Step(.setIRQAffinity, irq, ["cpus": $0, "reason": "restore", "old.cpus": $0])] } ?? []
            }
            guard !key.contains(" vf "), observed.nics[key] != nil else { return [] }
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
