import PlumbFirewall

/// What a table holds after a replace: the owner's ruleset, or (an undo) the text
/// `nft list table` printed before the change.
public enum TableContent: Hashable, Sendable, Codable {
    case ruleset(NATRuleset, comment: String)
    case text(String)

    var isRuleset: Bool { if case .ruleset = self { true } else { false } }
}

/// Equivalent to: `nft -f -` with `add table T; delete table T; table T { … }`: one transaction.
/// `previous`: the table's text before (nil: it did not exist), for the undo.
public struct TableReplacement: Hashable, Sendable, Codable {
    public var table: TableName
    public var content: TableContent
    public var previous: String?
}

/// Equivalent to: `nft delete table T`; `previous` is its text, for the undo.
public struct TableDeletion: Hashable, Sendable, Codable {
    public var table: TableName
    public var previous: String?
}
