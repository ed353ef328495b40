import PlumbFirewall
import PlumbManifest
import PlumbSystem
import PlumbTypes

extension Verifier {
    /// The table holds exactly the desired rules (each difference named).
    func natRulesCheck() throws -> [Check] {
        let desired = NATDesign.ruleset(layer)
        guard !desired.isEmpty else { return [] }
        let table = layer.marks.table
        let drift = OwnedTable.diff(desired: desired, observed: try kernel.firewall(table).observe(), table: table)
        let rules = desired.masquerades.count + desired.portForwards.count
        return [.expect("nat-rules", table.description, drift.isEmpty, expected: "\(rules) rules as declared",
                        observed: drift.isEmpty ? "\(rules) rules as declared" : drift.map(\.description).joined(separator: "; "),
                        evidence: [.nftables])]
    }
}
