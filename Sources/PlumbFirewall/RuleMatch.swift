import PlumbSystem
import PlumbTypes

/// The first packet of a probe flow, as each hook sees it: enough to tell which rules of
/// which tables would drop or redirect it. Before the expected DNAT (priority dstnat, -100)
/// it goes to `destination`; from then on to `translated`.
public struct ProbePacket: Sendable {
    public var proto: TransportProtocol
    public var source: IPAddress
    public var sourcePort: Int
    public var destination: IPAddress
    public var destinationPort: Int
    /// Where the packet goes after Plumb's own DNAT (nil: no DNAT, e.g. a masquerade probe).
    public var translated: (address: IPAddress, port: Int)?
    /// Input interface in the host namespace, and the output one after routing.
    public var inInterface: String
    public var outInterface: String

    public init(proto: TransportProtocol, source: IPAddress, sourcePort: Int, destination: IPAddress, destinationPort: Int,
                translated: (address: IPAddress, port: Int)?, inInterface: String, outInterface: String) {
        self.proto = proto; self.source = source; self.sourcePort = sourcePort; self.destination = destination
        self.destinationPort = destinationPort; self.translated = translated
        self.inInterface = inInterface; self.outInterface = outInterface
    }
}

/// A rule (or a chain's policy) that may be what happened to a probe.
public struct Culprit: Sendable, CustomStringConvertible {
    public var table: TableRef
    public var chain: String
    /// nil for the chain's policy.
    public var handle: Int?
    public var statement: String
    /// False when some match of the rule could not be evaluated here (it *may* match).
    public var certain: Bool

    public var description: String {
        let at = handle.map { "table \(table) chain \(chain) handle \($0)" } ?? "table \(table) chain \(chain) policy"
        return "\(at): \(statement)" + (certain ? "" : " (may match)")
    }
}

extension Ruleset {
    /// Rules that would drop or reject `p` on the forwarding path (prerouting, forward,
    /// postrouting), or chains whose policy would: every table except `skipping`.
    public func droppers(of p: ProbePacket, skipping: Set<TableRef> = []) -> [Culprit] {
        let hooks: Set<String> = ["prerouting", "forward", "postrouting"]
        return baseChains(for: p, skipping: skipping).filter { hooks.contains($0.hook ?? "") }.flatMap { chain -> [Culprit] in
            var found: [Culprit] = []
            let end = walk(chain, p, view: view(of: p, in: chain), kinds: [.drop], found: &found, depth: 0)
            if end == .fellThrough, chain.policy == "drop" {
                found.append(Culprit(table: chain.table, chain: chain.name, handle: nil, statement: "policy drop", certain: true))
            }
            return found
        }
    }

    /// NAT rules in prerouting that would rewrite `p`'s destination before Plumb's DNAT (or
    /// at its priority, where registration order decides): every table except `skipping`.
    /// `anyPriority`: also chains after it (a conflict, even when the kernel runs Plumb's first).
    public func redirectors(of p: ProbePacket, skipping: Set<TableRef> = [], anyPriority: Bool = false) -> [Culprit] {
        baseChains(for: p, skipping: skipping).filter { c in
            c.hook == "prerouting" && c.type == "nat" && (anyPriority || (c.priority ?? 0) <= -100)
        }.flatMap { chain -> [Culprit] in
            var found: [Culprit] = []
            _ = walk(chain, p, view: .original, kinds: [.redirect], found: &found, depth: 0)
            return found
        }
    }

    /// Base chains of tables that see `p`'s family (ip, ip6 or inet).
    func baseChains(for p: ProbePacket, skipping: Set<TableRef>) -> [RulesetChain] {
        let family = p.source.family == .v4 ? "ip" : "ip6"
        return chains.filter { c in c.hook != nil && !skipping.contains(c.table) && (c.table.family == family || c.table.family == "inet") }
    }

    /// Which destination a chain sees: the translated one once Plumb's DNAT (prerouting,
    /// priority -100) has run.
    func view(of p: ProbePacket, in chain: RulesetChain) -> View {
        guard p.translated != nil else { return .original }
        if chain.hook == "prerouting" && (chain.priority ?? 0) <= -100 { return .original }
        return .translated
    }

    enum View { case original, translated }
    enum Kind { case drop, redirect }
    enum End { case fellThrough, stopped }

    /// Walks a chain's rules in order, following jumps (bounded), collecting rules of
    /// `kinds` that match or may match; stops at a verdict that certainly applies.
    func walk(_ chain: RulesetChain, _ p: ProbePacket, view: View, kinds: Set<Kind>, found: inout [Culprit], depth: Int) -> End {
        for rule in chain.rules {
            let m = RuleMatcher(packet: p, view: view, chainHook: chain.hook).matches(rule.exprs)
            if m == .no { continue }
            let certain = m == .yes
            switch RuleMatcher.verdict(rule.exprs) {
            case .drop where kinds.contains(.drop), .redirect where kinds.contains(.redirect):
                found.append(Culprit(table: chain.table, chain: chain.name, handle: rule.handle, statement: rule.statement, certain: certain))
                if certain { return .stopped }
            case .drop, .redirect, .none: continue
            case .accept: if certain { return .stopped }
            case .jump(let target), .goto(let target):
                guard depth < 8, let next = self.chain(chain.table, target) else { continue }
                if walk(next, p, view: view, kinds: kinds, found: &found, depth: depth + 1) == .stopped && certain { return .stopped }
            case .return: if certain { return .fellThrough }
            }
        }
        return .fellThrough
    }
}

/// Evaluates the matches of one rule against a probe packet: yes, no, or maybe (a match
/// Plumb cannot evaluate: fib, marks, sets by name, …).
struct RuleMatcher {
    enum Result { case yes, no, maybe }
    enum Verdict { case drop, redirect, accept, jump(String), goto(String), `return`, none }

    let packet: ProbePacket
    let view: Ruleset.View
    let chainHook: String?

    var destination: (IPAddress, Int) {
        if view == .translated, let t = packet.translated { return (t.address, t.port) }
        return (packet.destination, packet.destinationPort)
    }

    static func verdict(_ exprs: [JSONValue]) -> Verdict {
        for e in exprs.reversed() {
            guard let (key, value) = e.onlyEntry else { continue }
            switch key {
            case "drop", "reject": return .drop
            case "dnat", "redirect", "tproxy": return .redirect
            case "accept": return .accept
            case "jump": return value["target"]?.string.map(Verdict.jump) ?? .none
            case "goto": return value["target"]?.string.map(Verdict.goto) ?? .none
            case "return": return .return
            default: continue
            }
        }
        return .none
    }

    func matches(_ exprs: [JSONValue]) -> Result {
        var result = Result.yes
        for e in exprs {
            guard let m = e["match"] else { continue }
            switch match(m) {
            case .no: return .no
            case .maybe: result = .maybe
            case .yes: break
            }
        }
        return result
    }

    func match(_ m: JSONValue) -> Result {
        guard let op = m["op"]?.string, let left = m["left"], let right = m["right"] else { return .maybe }
        guard let r = compare(left, right) else { return .maybe }
        switch op {
        case "==", "in": return r
        case "!=": return r == .yes ? .no : (r == .no ? .yes : .maybe)
        default: return .maybe
        }
    }

    /// Equality of a packet field (left) with a value, set, prefix or range (right).
    func compare(_ left: JSONValue, _ right: JSONValue) -> Result? {
        if let p = left["payload"], let proto = p["protocol"]?.string, let field = p["field"]?.string {
            return payload(proto, field, right)
        }
        if let key = left["meta"]?["key"]?.string {
            switch key {
            case "l4proto": return right.string.map { $0 == packet.proto.rawValue ? .yes : .no }
            case "nfproto": return right.string.map { $0 == (packet.source.family == .v4 ? "ipv4" : "ipv6") ? .yes : .no }
            case "iifname": return name(packet.inInterface, right)
            case "oifname": return chainHook == "prerouting" ? .maybe : name(packet.outInterface, right)
            default: return nil
            }
        }
        if let key = left["ct"]?["key"]?.string {
            // The probe's first packet: a new connection, DNATed once Plumb's rule ran.
            let flags = right.string.map { [$0] } ?? right.array?.compactMap(\.string) ?? []
            switch key {
            case "state": return flags.contains("new") ? .yes : .no
            case "status" where flags == ["dnat"]: return packet.translated != nil && view == .translated ? .yes : .no
            default: return nil
            }
        }
        return nil
    }

    func payload(_ proto: String, _ field: String, _ right: JSONValue) -> Result? {
        switch (proto, field) {
        case ("ip", "saddr"), ("ip6", "saddr"):
            guard family(proto) else { return .no }
            return address(packet.source, right)
        case ("ip", "daddr"), ("ip6", "daddr"):
            guard family(proto) else { return .no }
            return address(destination.0, right)
        case (_, "sport") where ["tcp", "udp", "th"].contains(proto):
            guard proto == "th" || proto == packet.proto.rawValue else { return .no }
            return number(packet.sourcePort, right)
        case (_, "dport") where ["tcp", "udp", "th"].contains(proto):
            guard proto == "th" || proto == packet.proto.rawValue else { return .no }
            return number(destination.1, right)
        default:
            // A header of another protocol (icmp type, sctp …) is not this packet's.
            if ["tcp", "udp", "icmp", "icmpv6", "sctp", "dccp", "udplite"].contains(proto) && proto != packet.proto.rawValue { return .no }
            return nil
        }
    }

    func family(_ proto: String) -> Bool { (proto == "ip") == (packet.source.family == .v4) }

    func address(_ a: IPAddress, _ right: JSONValue) -> Result? {
        if let s = right.string { return IPAddress(s).map { $0 == a ? .yes : .no } }
        if let p = right["prefix"], let addr = p["addr"]?.string.flatMap(IPAddress.init), let len = p["len"]?.int {
            return IPPrefix(address: addr, length: len).map { $0.contains(a) ? .yes : .no }
        }
        if let r = right["range"]?.array, r.count == 2, let lo = r[0].string.flatMap(IPAddress.init), let hi = r[1].string.flatMap(IPAddress.init) {
            return lo <= a && a <= hi ? .yes : .no
        }
        if let members = right["set"]?.array { return any(members.map { address(a, $0) }) }
        return nil
    }

    func number(_ n: Int, _ right: JSONValue) -> Result? {
        if let v = right.int { return v == n ? .yes : .no }
        if let r = right["range"]?.array, r.count == 2, let lo = r[0].int, let hi = r[1].int { return lo <= n && n <= hi ? .yes : .no }
        if let members = right["set"]?.array { return any(members.map { number(n, $0) }) }
        return nil
    }

    /// `iifname "eth*"`: nft's trailing wildcard.
    func name(_ n: String, _ right: JSONValue) -> Result? {
        guard let s = right.string else { return nil }
        if s.hasSuffix("*") { return n.hasPrefix(s.dropLast()) ? .yes : .no }
        return s == n ? .yes : .no
    }

    func any(_ rs: [Result?]) -> Result {
        if rs.contains(where: { $0 == .yes }) { return .yes }
        return rs.allSatisfy { $0 == .no } ? .no : .maybe
    }
}
