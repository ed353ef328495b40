/// One difference between the desired ruleset and the owned table in the kernel, named
/// by the comment of the rule (which names the manifest object it comes from).
public enum FirewallDrift: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    case tableMissing(table: String)
    /// The table carries flags such as `dormant`, which disable all its chains.
    case tableFlagged(table: String)
    case chainMissing(chain: String)
    case chainChanged(chain: String, desired: String, observed: String)
    case chainExtra(chain: String)
    case ruleMissing(chain: String, comment: String)
    case ruleChanged(chain: String, comment: String, desired: String, observed: String)
    /// A rule Plumb did not write; `comment` is nil when it has none.
    case ruleExtra(chain: String, comment: String?, statement: String)
    /// The right rules in the wrong order (NAT takes the first match).
    case rulesReordered(chain: String)

    public var description: String {
        switch self {
        case .tableMissing(let t): return "missing table \(t)"
        case .tableFlagged(let t): return "table \(t) has flags set (e.g. dormant); desired none"
        case .chainMissing(let c): return "missing chain \(c)"
        case .chainChanged(let c, let d, let o): return "changed chain \(c): desired \"\(d)\", current \"\(o)\""
        case .chainExtra(let c): return "extra chain \(c)"
        case .ruleMissing(let c, let comment): return "missing rule \"\(comment)\" in chain \(c)"
        case .ruleChanged(let c, let comment, let d, let o):
            return "changed rule \"\(comment)\" in chain \(c): desired \"\(d)\", current \"\(o)\""
        case .ruleExtra(let c, let comment?, let s): return "extra rule \"\(comment)\" in chain \(c): \(s)"
        case .ruleExtra(let c, nil, let s): return "extra rule in chain \(c): \(s)"
        case .rulesReordered(let c): return "rules out of order in chain \(c)"
        }
    }
}

/// Compares desired with observed. Pure: runs on recorded state without privileges.
enum DriftDetector {
    static func diff(desired: NATRuleset, observed: ObservedFirewall?, table: TableName) -> [FirewallDrift] {
        guard let observed else { return [.tableMissing(table: table.description)] }
        var drifts: [FirewallDrift] = observed.hasFlags ? [.tableFlagged(table: table.description)] : []
        let chains = desired.chains
        for chain in chains {
            guard let current = observed.chain(named: chain.spec.name) else {
                drifts.append(.chainMissing(chain: chain.spec.name))
                continue
            }
            if current.summary != chain.spec.summary {
                drifts.append(.chainChanged(chain: chain.spec.name, desired: chain.spec.summary, observed: current.summary))
            }
            drifts += rules(in: chain.spec.name, desired: chain.rules, observed: current.rules)
        }
        let known = Set(chains.map(\.spec.name))
        drifts += observed.chains.filter { !known.contains($0.name) }.map { .chainExtra(chain: $0.name) }
        return drifts
    }

    /// Pairs rules by comment (in order, should a comment repeat); a pair whose statements
    /// differ was changed, an unpaired desired rule is missing, an unpaired observed one extra.
    static func rules(in chain: String, desired: [FirewallRule], observed: [ObservedRule]) -> [FirewallDrift] {
        var unpaired = observed
        var drifts: [FirewallDrift] = []
        for rule in desired {
            guard let i = unpaired.firstIndex(where: { $0.comment == rule.comment }) else {
                drifts.append(.ruleMissing(chain: chain, comment: rule.comment))
                continue
            }
            let current = unpaired.remove(at: i)
            if current.statement != rule.statement {
                drifts.append(.ruleChanged(chain: chain, comment: rule.comment,
                                           desired: rule.statement, observed: current.statement))
            }
        }
        drifts += unpaired.map { .ruleExtra(chain: chain, comment: $0.comment, statement: $0.statement) }
        if drifts.isEmpty && desired.map(\.text) != observed.map(\.text) {
            drifts.append(.rulesReordered(chain: chain))
        }
        return drifts
    }
}
