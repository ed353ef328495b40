import PlumbManifest
import PlumbNetlink
import PlumbTypes

/// Policy-routing rules: a container's (declared, and those `sourceRouting` builds) are
/// added where the kernel lacks them, like its routes; the host's are Plumb's only by
/// proof — `proto 126` on the rule and the owner's record listing it — and a rule the
/// manifest no longer declares is removed.
extension Planner {
    /// Missing rules are added; a rule this owner added there (recorded, still `proto 126`)
    /// that the manifest no longer declares — `sourceRouting` turned off — is removed.
    func ruleSteps(_ c: Container, ns: NamespaceRef, inner: NamespaceSnapshot) -> [Step] {
        let wanted = c.effectiveRules.flatMap(Self.kernelRules)
        let add = wanted.filter { want in !inner.rules.contains { $0.matches(want) } }
            .map { Step(.addRule(RuleChange(namespace: ns, rule: $0)), reason: nil) }
        let drop = record.ruleEntries.filter { e in
            e.namespace == ns && !wanted.contains { e.rule.matches($0) }
                && inner.rules.contains { $0.matches(e.rule) && $0.proto == RuleInfo.plumbProtocol }
        }.map { Step(.deleteRule(RuleChange(namespace: ns, rule: $0.rule)), reason: "no longer declared") }
        return drop + add
    }

    /// One `RuleInfo` per family the rule is made in, marked with Plumb's protocol.
    static func kernelRules(_ r: Rule) -> [RuleInfo] {
        r.families.map { f in
            RuleInfo(family: f, priority: r.priority, from: r.from, to: r.to, iif: r.iif, oif: r.oif, fwmark: r.fwmark,
                     fwmask: r.fwmask, table: r.table)
        }
    }

    func hostRuleSteps() throws -> [Step] {
        let seen = observed.host.rules
        var steps: [Step] = [], errors: [PlanError] = []
        var wanted: [RuleInfo] = []
        for (ri, r) in manifest.host.rules.enumerated() {
            for want in Self.kernelRules(r) {
                wanted.append(want)
                let recorded = record.hostRules.contains { $0.matches(want) }
                guard let found = seen.first(where: { $0.matches(want) }) else {
                    steps.append(Step(.addRule(RuleChange(namespace: .host, rule: want)), reason: recorded ? "drift: deleted" : nil))
                    continue
                }
                if !recorded || found.proto != RuleInfo.plumbProtocol {
                    errors.append(error("host.rules[\(ri)]",
                        "the host already has the rule \"\(found.text)\" (proto \(found.proto)), which is not \(layer.owner)'s: "
                        + "a rule is Plumb's only with proto \(RuleInfo.plumbProtocol) and in its record; remove it or this rule"))
                }
            }
        }
        if !errors.isEmpty { throw PlanErrors(errors: errors) }
        // Recorded, no longer declared, still marked: removed.
        for old in record.hostRules where !wanted.contains(where: { old.matches($0) }) {
            if seen.contains(where: { $0.matches(old) && $0.proto == RuleInfo.plumbProtocol }) {
                steps.append(Step(.deleteRule(RuleChange(namespace: .host, rule: old)), reason: "no longer declared"))
            }
        }
        return steps
    }
}
