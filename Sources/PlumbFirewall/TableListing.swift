import PlumbTypes

/// Reads the owned table from one text listing with handles (`nft -a list table T`).
///
/// Why text: nft 1.0.6 leaves the table's comment — Plumb's mark — out of its JSON, so a
/// JSON read needs the text listing as well, and each listing makes libnftables refill its
/// cache (16 netlink round trips): on a CNI ADD the two listings were 1.9 ms of 4 under
/// Plumb's lock. The renderer writes exactly what nft prints back, so an untouched rule's
/// text is the desired rule's text. Only what Plumb itself writes is read here: a table
/// holding anything else (a set, a map, a chain comment, a line of unknown shape) is not
/// guessed at — `init?` answers nil and the caller reads that table's JSON instead.
extension ObservedFirewall {
    /// The listing of `nft -a list table T`:
    /// ```
    /// table inet T { # handle 4
    /// 	comment "…"
    /// 	chain postrouting { # handle 1
    /// 		type nat hook postrouting priority srcnat; policy accept;
    /// 		ip saddr 10.88.0.0/16 masquerade comment "…" # handle 3
    /// 	}
    /// }
    /// ```
    /// `text` is that listing without its handle annotations: what `nft list table T` prints.
    public init?(listing: String) {
        var lines = listing.split(separator: "\n", omittingEmptySubsequences: false)[...]
        guard let head = lines.popFirst().map(TableListing.unhandled), head.line.hasPrefix("table "), head.line.hasSuffix(" {") else { return nil }
        let words = head.line.dropFirst(6).dropLast(2).split(separator: " ")
        guard words.count == 2, let family = TableFamily(rawValue: String(words[0])) else { return nil }
        self.init(table: TableName(family: family, name: String(words[1])), chains: [])
        var closed = false
        while let raw = lines.popFirst() {
            let (line, handle) = TableListing.unhandled(raw)
            let t = Substring(line.trimmingSpace())
            if closed { guard t.isEmpty else { return nil }; continue }
            if t.isEmpty { continue }
            if t == "}" { closed = true; continue }
            if t.hasPrefix("comment \"") {
                guard let c = ObservedFirewall.comment(inListing: String(t)) else { return nil }
                comment = c
            } else if t.hasPrefix("flags ") {
                hasFlags = true
            } else if t.hasPrefix("chain "), t.hasSuffix(" {"), handle != nil {
                guard let chain = TableListing.chain(String(t.dropFirst(6).dropLast(2)), &lines) else { return nil }
                chains.append(chain)
            } else {
                return nil
            }
        }
        guard closed else { return nil }
        text = TableListing.plain(listing)
    }
}

enum TableListing {
    /// nft's names for the standard priorities of the ip, ip6 and inet families.
    static let priorities = ["raw": -300, "mangle": -150, "dstnat": -100, "filter": 0, "security": 50, "srcnat": 100]

    /// A chain's body up to its `}`: its declaration, then one rule per line.
    static func chain(_ name: String, _ lines: inout ArraySlice<Substring>) -> ObservedChain? {
        var chain = ObservedChain(name: name)
        while let raw = lines.popFirst() {
            let (line, handle) = unhandled(raw)
            let t = Substring(line.trimmingSpace())
            if t == "}" { return chain }
            if let handle {
                chain.rules.append(rule(t, handle: handle))
            } else if t.hasPrefix("type "), chain.type == nil, chain.rules.isEmpty {
                guard declare(&chain, t) else { return nil }
            } else {
                return nil
            }
        }
        return nil
    }

    /// `type nat hook prerouting priority dstnat; policy accept;` (the priority may also be
    /// a number or `NAME ± N`).
    static func declare(_ chain: inout ObservedChain, _ line: Substring) -> Bool {
        let parts = line.split(separator: ";").map { Substring($0.trimmingSpace()) }.filter { !$0.isEmpty }
        guard let spec = parts.first else { return false }
        let w = spec.split(separator: " ")
        guard w.count >= 6, w[0] == "type", w[2] == "hook", w[4] == "priority",
              let priority = self.priority(w[5...]) else { return false }
        chain.type = String(w[1]); chain.hook = String(w[3]); chain.priority = priority
        for part in parts.dropFirst() {
            let p = part.split(separator: " ")
            guard p.count == 2, p[0] == "policy" else { return false }
            chain.policy = String(p[1])
        }
        return true
    }

    static func priority(_ words: ArraySlice<Substring>) -> Int? {
        let w = Array(words)
        guard let first = w.first else { return nil }
        let base = priorities[String(first)] ?? Int(first)
        switch w.count {
        case 1: return base
        case 3:
            guard let base, let n = Int(w[2]), w[1] == "+" || w[1] == "-" else { return nil }
            return w[1] == "+" ? base + n : base - n
        default: return nil
        }
    }

    /// `STATEMENT comment "C"`. Packet and byte counts move on their own: a counter reads
    /// as `counter`, as in the JSON reading.
    static func rule(_ line: Substring, handle: Int) -> ObservedRule {
        var statement = line, comment: String?
        if line.hasSuffix("\""), let r = lastRange(of: " comment \"", in: line) {
            comment = String(line[r.upperBound...].dropLast())
            statement = line[..<r.lowerBound]
        } else if line.hasPrefix("comment \""), line.hasSuffix("\"") {
            comment = String(line.dropFirst(9).dropLast())
            statement = ""
        }
        return ObservedRule(handle: handle, comment: comment, statement: uncounted(statement))
    }

    /// `counter packets N bytes M` → `counter`.
    static func uncounted(_ s: Substring) -> String {
        let w = s.split(separator: " ", omittingEmptySubsequences: false)
        var out: [Substring] = [], i = 0
        while i < w.count {
            out.append(w[i])
            if w[i] == "counter", i + 4 < w.count, w[i + 1] == "packets", Int(w[i + 2]) != nil,
               w[i + 3] == "bytes", Int(w[i + 4]) != nil {
                i += 5
            } else {
                i += 1
            }
        }
        return out.joined(separator: " ")
    }

    /// A line without nft's ` # handle N` annotation, and that handle.
    static func unhandled(_ line: Substring) -> (line: Substring, handle: Int?) {
        guard let r = lastRange(of: " # handle ", in: line), let n = Int(line[r.upperBound...]) else { return (line, nil) }
        return (line[..<r.lowerBound], n)
    }

    /// A listing without its handle annotations: what `nft list table T` prints.
    static func plain(_ listing: String) -> String {
        listing.split(separator: "\n", omittingEmptySubsequences: false).map { unhandled($0).line }.joined(separator: "\n")
    }

    /// The last occurrence of `needle` in `s`.
    static func lastRange(of needle: String, in s: Substring) -> Range<Substring.Index>? {
        var i = s.endIndex
        while i > s.startIndex {
            i = s.index(before: i)
            if s[i...].hasPrefix(needle) { return i..<s.index(i, offsetBy: needle.count) }
        }
        return nil
    }
}
