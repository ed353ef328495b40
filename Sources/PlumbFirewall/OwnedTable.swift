/// The one nftables table Plumb owns (`inet plumb`). It is always rebuilt whole from the
/// desired state and swapped in one transaction; Plumb never edits it rule by rule, and
/// never reads, flushes or deletes any other table.
///
/// Holds an `NFTables` context, so it lives on the thread (and in the namespace) that
/// made that context.
public struct OwnedTable {
    public let table: TableName
    private let nft: NFTables

    public init(nft: NFTables, table: TableName = .plumb) {
        self.nft = nft
        self.table = table
    }

    /// Swaps the whole table for `ruleset`, atomically: the kernel holds the old table or
    /// the new one, never neither; on any error it keeps the old one.
    /// Equivalent to: `nft -f -` with `add table inet plumb; delete table inet plumb; table inet plumb { … }`.
    public func replace(with ruleset: NATRuleset, comment: String = Renderer.defaultComment) throws {
        try nft.run(Renderer.replaceScript(ruleset, table: table, comment: comment), operation: "replace table \(table)")
    }

    /// Makes the table, absent when it was observed, holding `ruleset`: refused, changing
    /// nothing, if a table of that name exists by now.
    /// Equivalent to: `nft -f -` with `create table inet plumb { comment "…"; }; table inet plumb { … }`.
    public func create(with ruleset: NATRuleset, comment: String = Renderer.defaultComment) throws {
        try nft.run(Renderer.createScript(ruleset, table: table, comment: comment), operation: "create table \(table)")
    }

    /// Swaps in a table's listed text (an undo), atomically.
    public func replace(withText text: String) throws {
        try nft.run(Renderer.replaceScript(text: text, table: table), operation: "restore table \(table)")
    }

    /// Checks `ruleset` with nft and the kernel without committing anything, so the engine
    /// can reject a bad ruleset before it touches the kernel.
    /// Equivalent to: `nft -c -f -` with the replace script.
    public func validate(_ ruleset: NATRuleset, comment: String = Renderer.defaultComment) throws {
        try nft.check(Renderer.replaceScript(ruleset, table: table, comment: comment), operation: "replace table \(table)")
    }

    /// The table as the kernel holds it, or nil when it does not exist: one text listing
    /// with handles (`ObservedFirewall(listing:)`); a table holding more than Plumb writes
    /// is read from its JSON listing instead, whose printer names every expression.
    /// Equivalent to: `nft -a list table inet plumb` (then `nft -j list table inet plumb`).
    public func observe() throws -> ObservedFirewall? {
        guard let listing = try nft.listTable(family: table.family, name: table.name, handles: true) else { return nil }
        if let seen = ObservedFirewall(listing: listing) { return seen }
        guard let json = try nft.listTableJSON(family: table.family, name: table.name) else { return nil }
        var seen = try ObservedFirewall(listingJSON: json)
        seen.text = TableListing.plain(listing)
        seen.comment = seen.text.flatMap(ObservedFirewall.comment(inListing:))
        return seen
    }

    /// Removes the table if it exists; an absent table is not an error.
    /// Equivalent to: `nft 'add table inet plumb; delete table inet plumb'` (nft 1.0.6 has no `destroy`).
    public func delete() throws {
        try nft.run(Renderer.deleteScript(table: table), operation: "delete table \(table)")
    }

    /// Every difference between `desired` and `observed`, named by rule comment, e.g.
    /// `missing rule "containers[1] web port tcp/8080" in chain prerouting`. Empty when converged.
    public static func diff(desired: NATRuleset, observed: ObservedFirewall?,
                            table: TableName = .plumb) -> [FirewallDrift] {
        DriftDetector.diff(desired: desired, observed: observed, table: table)
    }

    /// `observe()` then `diff`.
    public func drift(from desired: NATRuleset) throws -> [FirewallDrift] {
        OwnedTable.diff(desired: desired, observed: try observe(), table: table)
    }
}
