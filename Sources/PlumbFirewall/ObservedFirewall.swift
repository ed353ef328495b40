/// The owned table as the kernel holds it, in a form comparable with a `NATRuleset`.
/// Codable so the engine can record it (the planner runs on recorded observed state).
public struct ObservedFirewall: Sendable, Equatable, Hashable, Codable {
    public var table: TableName
    /// True when the table carries flags (e.g. `dormant`, which silently disables every
    /// chain). nft 1.0.6's JSON prints the table's name where its flags belong, so only
    /// the presence of the key is trusted.
    public var hasFlags: Bool
    /// The table's comment: Plumb's mark. nft 1.0.6 leaves it out of the JSON listing,
    /// so it is read from the text listing (`comment(inListing:)`).
    public var comment: String?
    /// The table as `nft list table` prints it: what an undo puts back.
    public var text: String?
    public var chains: [ObservedChain]

    public init(table: TableName, hasFlags: Bool = false, comment: String? = nil, text: String? = nil,
                chains: [ObservedChain]) {
        self.table = table
        self.hasFlags = hasFlags
        self.comment = comment
        self.text = text
        self.chains = chains
    }

    /// The `comment "…"` line of a table listing, before its first chain.
    public static func comment(inListing text: String) -> String? {
        for line in text.split(separator: "\n") {
            let t = line.drop { $0 == "\t" || $0 == " " }
            if t.hasPrefix("chain ") { return nil }
            if t.hasPrefix("comment \""), t.hasSuffix("\"") { return String(t.dropFirst(9).dropLast()) }
        }
        return nil
    }

    public func chain(named name: String) -> ObservedChain? {
        chains.first { $0.name == name }
    }
}

public struct ObservedChain: Sendable, Equatable, Hashable, Codable {
    public var name: String
    /// nil for a regular (non-base) chain.
    public var type: String?
    public var hook: String?
    public var priority: Int?
    public var policy: String?
    public var rules: [ObservedRule]

    public init(name: String, type: String? = nil, hook: String? = nil, priority: Int? = nil,
                policy: String? = nil, rules: [ObservedRule] = []) {
        self.name = name; self.type = type; self.hook = hook
        self.priority = priority; self.policy = policy; self.rules = rules
    }

    /// Same shape as `ChainSpec.summary`, to compare and to report.
    public var summary: String {
        guard let type, let hook else { return "regular chain" }
        return "type \(type) hook \(hook) priority \(priority.map(String.init) ?? "?") policy \(policy ?? "accept")"
    }
}

public struct ObservedRule: Sendable, Equatable, Hashable, Codable {
    /// The kernel's handle: what `delete rule inet plumb CHAIN handle N` takes.
    public var handle: Int
    public var comment: String?
    /// Canonical statement text without the comment (see `ExpressionPrinter`).
    public var statement: String

    public init(handle: Int, comment: String?, statement: String) {
        self.handle = handle; self.comment = comment; self.statement = statement
    }

    /// The rule line as nft would list it.
    public var text: String { comment.map { "\(statement) comment \"\($0)\"" } ?? statement }
}

extension ObservedFirewall {
    /// Reads the output of `nft -j list table FAMILY NAME`:
    /// `{"nftables": [{"metainfo": …}, {"table": …}, {"chain": …}…, {"rule": …}…]}`.
    /// Chains keep listing order, rules their order within the chain.
    public init(listingJSON text: String) throws {
        let root: JSONValue
        do { root = try JSONValue.parse(text) } catch {
            throw FirewallError.unreadableListing("not JSON: \(error)")
        }
        guard let objects = root["nftables"]?.array else {
            throw FirewallError.unreadableListing("no \"nftables\" array")
        }
        var table: TableName?
        var hasFlags = false
        var chains: [ObservedChain] = []
        for object in objects {
            if let t = object["table"] {
                table = try Self.tableName(t)
                hasFlags = t["flags"] != nil
            } else if let c = object["chain"] {
                chains.append(try Self.chain(c))
            } else if let r = object["rule"] {
                try Self.add(rule: r, to: &chains)
            }
        }
        guard let table else { throw FirewallError.unreadableListing("no table object") }
        self.init(table: table, hasFlags: hasFlags, chains: chains)
    }

    private static func tableName(_ t: JSONValue) throws -> TableName {
        guard let family = t["family"]?.string.flatMap(TableFamily.init(rawValue:)),
              let name = t["name"]?.string else { throw FirewallError.unreadableListing("table without family/name") }
        return TableName(family: family, name: name)
    }

    private static func chain(_ c: JSONValue) throws -> ObservedChain {
        guard let name = c["name"]?.string else { throw FirewallError.unreadableListing("chain without a name") }
        return ObservedChain(name: name, type: c["type"]?.string, hook: c["hook"]?.string,
                             priority: c["prio"]?.int, policy: c["policy"]?.string)
    }

    private static func add(rule r: JSONValue, to chains: inout [ObservedChain]) throws {
        guard let chainName = r["chain"]?.string, let handle = r["handle"]?.int,
              let index = chains.firstIndex(where: { $0.name == chainName }) else {
            throw FirewallError.unreadableListing("rule without a known chain or handle: \(r.canonical)")
        }
        let statement = ExpressionPrinter.statement(r["expr"]?.array ?? [])
        chains[index].rules.append(ObservedRule(handle: handle, comment: r["comment"]?.string, statement: statement))
    }
}
