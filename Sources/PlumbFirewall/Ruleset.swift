/// Every table of a namespace as `nft -j list ruleset` shows it — Plumb's and everyone
/// else's. Read only, to explain a forwarding probe that failed or went elsewhere: which
/// rule of which table dropped or redirected it.
public struct Ruleset: Sendable {
    public var chains: [RulesetChain]

    public init(chains: [RulesetChain]) { self.chains = chains }

    /// Reads `nft -j list ruleset`: `{"nftables": [{"metainfo"…}, {"table"…}, {"chain"…}, {"rule"…}…]}`.
    public init(listingJSON text: String) throws {
        let root: JSONValue
        do { root = try JSONValue.parse(text) } catch { throw FirewallError.unreadableListing("not JSON: \(error)") }
        guard let objects = root["nftables"]?.array else { throw FirewallError.unreadableListing("no \"nftables\" array") }
        var chains: [RulesetChain] = []
        var index: [String: Int] = [:]
        for object in objects {
            if let c = object["chain"], let family = c["family"]?.string, let table = c["table"]?.string, let name = c["name"]?.string {
                index["\(family) \(table) \(name)"] = chains.count
                chains.append(RulesetChain(table: TableRef(family: family, name: table), name: name, type: c["type"]?.string,
                                           hook: c["hook"]?.string, priority: c["prio"]?.int, policy: c["policy"]?.string))
            } else if let r = object["rule"], let family = r["family"]?.string, let table = r["table"]?.string,
                      let chain = r["chain"]?.string, let i = index["\(family) \(table) \(chain)"] {
                let exprs = r["expr"]?.array ?? []
                chains[i].rules.append(RulesetRule(handle: r["handle"]?.int, comment: r["comment"]?.string,
                                                   statement: ExpressionPrinter.statement(exprs), exprs: exprs))
            }
        }
        self.chains = chains
    }

    public func chain(_ table: TableRef, _ name: String) -> RulesetChain? {
        chains.first { $0.table == table && $0.name == name }
    }
}

/// A table of any family: `ip foreign`, `inet filter`, `bridge t`.
public struct TableRef: Sendable, Hashable, CustomStringConvertible {
    public var family: String
    public var name: String
    public init(family: String, name: String) { self.family = family; self.name = name }
    public init(_ t: TableName) { family = t.family.rawValue; name = t.name }
    public var description: String { "\(family) \(name)" }
}

public struct RulesetChain: Sendable {
    public var table: TableRef
    public var name: String
    /// Base chains only (nil for a regular chain, reached by jump or goto).
    public var type: String?
    public var hook: String?
    public var priority: Int?
    public var policy: String?
    public var rules: [RulesetRule] = []
}

public struct RulesetRule: Sendable {
    /// What `nft delete rule … handle N` takes.
    public var handle: Int?
    public var comment: String?
    /// The rule as nft prints it (see ExpressionPrinter; unknown expressions in angle brackets).
    public var statement: String
    let exprs: [JSONValue]
}
