/// One base chain of the owned table: its declaration as nft lists it.
public struct ChainSpec: Sendable, Equatable, Hashable {
    public var name: String
    public var type: String
    public var hook: String
    /// Numeric priority, as the JSON listing reports it.
    public var priority: Int
    /// The spelling nft prints in `list table` (a name where nft knows one).
    public var priorityText: String
    public var policy: String

    /// DNAT of traffic arriving from anywhere.
    public static let prerouting = ChainSpec(name: "prerouting", type: "nat", hook: "prerouting",
                                             priority: -100, priorityText: "dstnat", policy: "accept")
    /// DNAT of the host's own connections. nft 1.0.6 refuses the name `dstnat` on the
    /// output hook and lists it as -100, so the number is written.
    public static let output = ChainSpec(name: "output", type: "nat", hook: "output",
                                         priority: -100, priorityText: "-100", policy: "accept")
    /// Masquerade and hairpin.
    public static let postrouting = ChainSpec(name: "postrouting", type: "nat", hook: "postrouting",
                                              priority: 100, priorityText: "srcnat", policy: "accept")
    /// Policy accept: the host's other forwarded traffic must pass untouched. The chain
    /// exists so that drift detection covers what Plumb lets through.
    public static let forward = ChainSpec(name: "forward", type: "filter", hook: "forward",
                                          priority: 0, priorityText: "filter", policy: "accept")

    /// The chains in the order they are rendered and compared.
    public static let all: [ChainSpec] = [.prerouting, .output, .postrouting, .forward]

    /// The declaration line inside the chain block.
    public var declaration: String {
        "type \(type) hook \(hook) priority \(priorityText); policy \(policy);"
    }

    /// Comparable with an observed chain: numbers, not nft's names for them.
    public var summary: String {
        "type \(type) hook \(hook) priority \(priority) policy \(policy)"
    }
}

/// One rule as Plumb writes it: the statement (exactly as `nft list` prints it back)
/// and the comment naming the manifest object it comes from.
public struct FirewallRule: Sendable, Equatable, Hashable {
    public var statement: String
    /// Already made safe for nft (see `init`); the key drift detection matches on.
    public var comment: String

    /// nft strings cannot hold a double quote and comments hold at most 128 bytes
    /// (NFTNL_UDATA_COMMENT_MAXLEN), so the comment is made to fit here, once, and
    /// both the renderer and the diff use the result.
    public init(statement: String, comment: String) {
        self.statement = statement
        self.comment = FirewallRule.fit(comment)
    }

    /// The rule line as it appears inside a chain block.
    public var text: String { "\(statement) comment \"\(comment)\"" }

    static let commentLimit = 128

    static func fit(_ comment: String) -> String {
        var out = ""
        for ch in comment {
            let safe: Character = ch == "\"" ? "'" : (ch.isNewline || ch == "\t" ? " " : ch)
            if out.utf8.count + String(safe).utf8.count > commentLimit { break }
            out.append(safe)
        }
        return out
    }
}

/// A chain with the rules Plumb wants in it.
public struct FirewallChain: Sendable, Equatable, Hashable {
    public var spec: ChainSpec
    public var rules: [FirewallRule]
}

extension NATRuleset {
    /// Every chain of the owned table with its rules, in rendering order: chains in
    /// `ChainSpec.all` order, rules in the ruleset's order. All four chains exist even
    /// when empty, so the table's shape never depends on the manifest.
    public var chains: [FirewallChain] {
        [
            FirewallChain(spec: .prerouting, rules: portForwards.map(\.dnatRule)),
            FirewallChain(spec: .output, rules: portForwards.map(\.dnatRule)),
            FirewallChain(spec: .postrouting, rules: masquerades.map(\.rule) + portForwards.map(\.hairpinRule)),
            FirewallChain(spec: .forward, rules: [NATRuleset.establishedRule] + portForwards.map(\.forwardRule)),
        ]
    }

    /// Replies and related flows (ICMP errors, FTP data) of connections already accepted.
    static let establishedRule = FirewallRule(statement: "ct state established,related accept",
                                              comment: "plumb established,related")
}

extension Masquerade {
    /// `ip saddr 10.88.0.0/16 oifname != "br0" masquerade`
    var rule: FirewallRule {
        FirewallRule(statement: "\(family.rawValue) saddr \(subnet) oifname != \"\(bridge)\" masquerade",
                     comment: comment)
    }
}

extension PortForward {
    /// `fib daddr type local tcp dport 8080 dnat ip to 10.88.0.2:80` — any local address
    /// of the host, as Docker's and CNI portmap's `addrtype LOCAL` match; in prerouting it
    /// catches traffic arriving from anywhere, in output the host's own connections.
    var dnatRule: FirewallRule {
        FirewallRule(statement: "fib daddr type local \(proto.rawValue) dport \(hostPort) "
                     + "dnat \(family.rawValue) to \(destinationWithPort)", comment: comment)
    }

    /// `oifname "br0" ct status dnat ip saddr 10.88.0.0/16 ip daddr 10.88.0.2 tcp dport 80 masquerade`
    /// A container reaching host:port on its own bridge would get the reply straight from
    /// the destination container (same subnet, no un-DNAT) and drop it; masquerading makes
    /// the reply return through the host.
    var hairpinRule: FirewallRule {
        FirewallRule(statement: "oifname \"\(bridge)\" ct status dnat \(family.rawValue) saddr \(bridgeSubnet) "
                     + "\(destinationMatch) masquerade", comment: comment)
    }

    /// `ct status dnat ip daddr 10.88.0.2 tcp dport 80 accept`
    var forwardRule: FirewallRule {
        FirewallRule(statement: "ct status dnat \(destinationMatch) accept", comment: comment)
    }

    /// `ip daddr 10.88.0.2 tcp dport 80`: the connection after DNAT.
    private var destinationMatch: String {
        "\(family.rawValue) daddr \(destination) \(proto.rawValue) dport \(destinationPort)"
    }

    /// `10.88.0.2:80` or `[fd00::2]:80`.
    private var destinationWithPort: String {
        family == .ipv6 ? "[\(destination)]:\(destinationPort)" : "\(destination):\(destinationPort)"
    }
}
