/// Prints the JSON expressions of a listed rule as nft statement text, for the subset of
/// nft Plumb writes, in exactly the spelling Plumb's renderer uses — so an untouched rule
/// reads back equal to the desired one. Anything outside that subset prints as its
/// canonical JSON in angle brackets: it can never equal a rule Plumb writes, so a hand
/// edit that introduces it reads as a change, which is the point.
enum ExpressionPrinter {
    /// The statement text of a rule's `expr` list (without the comment).
    static func statement(_ exprs: [JSONValue]) -> String {
        exprs.map(expression).joined(separator: " ")
    }

    static func expression(_ expr: JSONValue) -> String {
        guard let (key, value) = expr.onlyEntry else { return raw(expr) }
        switch (key, value) {
        case ("match", _): return match(value) ?? raw(expr)
        case ("accept", .null), ("drop", .null), ("return", .null), ("continue", .null), ("masquerade", .null):
            return key
        case ("reject", _): return "reject"
        case ("dnat", _), ("snat", _): return nat(key, value) ?? raw(expr)
        // Packet and byte counts move on their own; only the counter's presence is state.
        case ("counter", _): return "counter"
        case ("jump", _), ("goto", _):
            return value["target"]?.string.map { "\(key) \($0)" } ?? raw(expr)
        default: return raw(expr)
        }
    }

    /// `ip saddr 10.88.0.0/16`, `oifname != "br0"`, `ct status dnat`, `fib daddr type local`.
    /// `==` and `in` (flag tests) are implicit in nft's text.
    private static func match(_ m: JSONValue) -> String? {
        guard let op = m["op"]?.string, let leftJSON = m["left"], let rightJSON = m["right"],
              let left = operand(leftJSON),
              let right = value(rightJSON, quoted: isInterfaceName(leftJSON)) else { return nil }
        return op == "==" || op == "in" ? "\(left) \(right)" : "\(left) \(op) \(right)"
    }

    private static func operand(_ v: JSONValue) -> String? {
        guard let (kind, body) = v.onlyEntry else { return nil }
        switch kind {
        case "payload":
            guard let proto = body["protocol"]?.string, let field = body["field"]?.string else { return nil }
            return "\(proto) \(field)"
        case "meta":
            guard let key = body["key"]?.string else { return nil }
            return unqualifiedMeta.contains(key) ? key : "meta \(key)"
        case "ct":
            guard let key = body["key"]?.string else { return nil }
            return (["ct"] + [body["dir"]?.string, body["family"]?.string].compactMap { $0 } + [key])
                .joined(separator: " ")
        case "fib":
            guard let result = body["result"]?.string, let flags = body["flags"]?.array?.compactMap(\.string)
            else { return nil }
            return "fib \(flags.joined(separator: " . ")) \(result)"
        default:
            return nil
        }
    }

    /// Meta keys nft prints without the `meta` word.
    private static let unqualifiedMeta: Set<String> = [
        "iif", "oif", "iifname", "oifname", "iiftype", "oiftype", "iifgroup", "oifgroup",
        "mark", "skuid", "skgid", "rtclassid", "pkttype", "cpu", "cgroup", "ibrname", "obrname",
    ]

    private static func isInterfaceName(_ left: JSONValue) -> Bool {
        guard let key = left["meta"]?["key"]?.string else { return false }
        return ["iifname", "oifname", "ibrname", "obrname"].contains(key)
    }

    private static func value(_ v: JSONValue, quoted: Bool) -> String? {
        switch v {
        case .string(let s): return quoted ? "\"\(s)\"" : s
        case .int(let i): return String(i)
        case .array(let flags): // a flag list: ct state established,related
            let items = flags.compactMap { value($0, quoted: quoted) }
            return items.count == flags.count ? items.joined(separator: ",") : nil
        case .object:
            guard let (kind, body) = v.onlyEntry else { return nil }
            switch kind {
            case "prefix":
                guard let addr = body["addr"]?.string, let len = body["len"]?.int else { return nil }
                return "\(addr)/\(len)"
            case "range":
                guard let ends = body.array, ends.count == 2,
                      let a = value(ends[0], quoted: quoted), let b = value(ends[1], quoted: quoted) else { return nil }
                return "\(a)-\(b)"
            case "set":
                let members = body.array ?? [body]
                let items = members.compactMap { value($0, quoted: quoted) }
                return items.count == members.count ? "{ " + items.joined(separator: ", ") + " }" : nil
            default:
                return nil
            }
        default:
            return nil
        }
    }

    /// `dnat ip to 10.88.0.2:80`, `dnat ip6 to [fd00::2]:80`, `snat to 192.0.2.1`.
    private static func nat(_ kind: String, _ body: JSONValue) -> String? {
        guard let fields = body.object, Set(fields.keys).isSubset(of: ["family", "addr", "port"]),
              let addr = body["addr"]?.string else { return nil }
        let family = body["family"]?.string
        var target = addr
        if let port = body["port"]?.int {
            target = family == "ip6" || addr.contains(":") ? "[\(addr)]:\(port)" : "\(addr):\(port)"
        }
        return ([kind] + [family].compactMap { $0 } + ["to", target]).joined(separator: " ")
    }

    private static func raw(_ v: JSONValue) -> String { "<\(v.canonical)>" }
}
