import PlumbEngine

/// Human text for plans and verification reports.
enum Render {
    static func plan(_ p: Plan, verb: String = "Plan") -> String {
        let notes = p.notes.map { "  note: \($0)" }
        if p.converged {
            return (["No changes. The kernel matches manifest \(p.owner.displayName)."] + notes).joined(separator: "\n")
        }
        let lines = p.steps.map { "  \($0.summary)" }
        return (["\(verb) for manifest \(p.owner.displayName):"] + lines + notes + ["\(verb): \(p.steps.count) steps."]).joined(separator: "\n")
    }

    static func report(_ r: VerifyReport) -> String {
        var out: [String] = []
        if !r.host.checks.isEmpty {
            out.append("host")
            out += r.host.checks.map(row)
        }
        for c in r.containers {
            out.append("\(c.name) (netns \(c.netns))")
            out += c.checks.map(row)
        }
        for n in r.nics {
            out.append("nic \(n.name) (driver \(n.driver))")
            out += n.checks.map(row)
        }
        let all = r.host.checks + r.containers.flatMap(\.checks) + r.nics.flatMap(\.checks)
        let failed = all.filter { $0.status == .fail }.count
        out.append("Verify: \(all.filter { $0.status == .pass }.count) passed, \(failed) failed, "
                   + "\(all.filter { $0.status == .skip }.count) skipped — \(r.ok ? "OK" : "FAILED")")
        let warned = all.filter { $0.status == .warn }.count
        if warned > 0 { out[out.count - 1] += " (\(warned) warnings)" }
        return out.joined(separator: "\n")
    }

    static func row(_ c: Check) -> String {
        let status = c.status.rawValue.uppercased().padding(toLength: 4, withPad: " ", startingAt: 0)
        let family = c.family.map { " (\($0.label))" } ?? ""
        let what = ((c.interface.map { "\($0) " } ?? "") + c.name + family).padding(toLength: 30, withPad: " ", startingAt: 0)
        let detail = c.status == .fail ? "expected \(c.expected), observed \(c.observed)" : c.observed
        // What the verdict rests on, so a PASS can be weighed: [icmp-echo, arp, rx-counters].
        let evidence = c.evidence.isEmpty ? "" : " [\(c.evidence.map(\.rawValue).joined(separator: ", "))]"
        return "  \(status)  \(what) \(detail)\(evidence)"
    }
}
