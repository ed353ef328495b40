import PlumbFirewall
import PlumbManifest

extension Planner {
    /// One step that swaps the owner's whole nftables table in when the kernel's table
    /// differs from the desired ruleset in any rule (each difference named); one that
    /// deletes it when the layer no longer declares NAT.
    func firewallSteps() throws -> [Step] {
        let table = marks.table
        let desired = NATDesign.ruleset(layer)
        let seen = observed.firewall
        // A table with this owner's name that does not carry its mark, or that the
        // record does not list, is someone else's: replacing it would delete their rules.
        if let seen, seen.comment != marks.tableComment || record.table != table {
            throw error("bridges", "nftables table \(table) exists but is not plumb's table of \(layer.owner) (comment \(quote(seen.comment)), \(record.table == nil ? "not in its record" : "in its record")); remove it")
        }
        if desired.isEmpty {
            guard let seen else { return [] }
            return [Step(.deleteTable(TableDeletion(table: table, previous: seen.text)), reason: "the manifest declares no NAT")]
        }
        let drift = OwnedTable.diff(desired: desired, observed: seen, table: table)
        if drift.isEmpty { return [] }
        return [Step(.replaceTable(TableReplacement(table: table, content: .ruleset(desired, comment: marks.tableComment),
                                                    previous: seen?.text)),
                     reason: drift.map(\.description).joined(separator: "; "))]
    }
}
