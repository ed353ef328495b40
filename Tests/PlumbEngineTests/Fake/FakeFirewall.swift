import Foundation
import PlumbEngine
import PlumbFirewall

/// One nftables table of the fake host namespace. The kernel keeps each table as the
/// text `nft list table` prints (a ruleset goes in through `Renderer.table`, the same
/// text the real replace script carries); `observe()` reads that listing back into an
/// `ObservedFirewall` the way the real one is built (chains, rules, comment, text).
final class FakeFirewall: FirewallOps {
    let kernel: FakeKernel
    let table: TableName
    init(kernel: FakeKernel, table: TableName) { self.kernel = kernel; self.table = table }

    func refuse(_ op: String, _ message: String) -> FirewallError { .rejected(operation: "\(op) table \(table)", message: message) }

    func observe() throws -> ObservedFirewall? {
        guard let text = kernel.tables[table] else { return nil }
        guard let seen = FakeListing.parse(text) else { throw FirewallError.unreadableListing("fake: \(text.prefix(80))") }
        return seen
    }

    /// `add table T; delete table T; table T { … }`: one transaction.
    func replace(with ruleset: NATRuleset, comment: String) throws {
        try kernel.enter("replaceTable") { refuse("replace", "Error: \($0.message)") }
        kernel.tables[table] = Renderer.table(ruleset, table: table, comment: comment)
    }

    /// The same with a listed table's text: whatever table that text defines takes T's place.
    func replace(withText text: String) throws {
        try kernel.enter("replaceTable") { refuse("restore", "Error: \($0.message)") }
        guard let seen = FakeListing.parse(text) else { throw refuse("restore", "Error: syntax error") }
        kernel.tables[table] = nil
        kernel.tables[seen.table] = text
    }

    func delete() throws {
        try kernel.enter("deleteTable") { refuse("delete", "Error: \($0.message)") }
        kernel.tables[table] = nil
    }
}

/// Reads a table listing (`table inet T {`, `comment "…"`, `chain C {`, its declaration,
/// `STATEMENT comment "…"` rules, `}`) into an `ObservedFirewall`; nil when it is not one.
enum FakeListing {
    static let priorities = ["raw": -300, "mangle": -150, "dstnat": -100, "filter": 0, "security": 50, "srcnat": 100]

    static func parse(_ text: String) -> ObservedFirewall? {
        var lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }[...]
        guard let head = lines.popFirst(), head.hasPrefix("table "), head.hasSuffix(" {") else { return nil }
        let words = head.dropFirst(6).dropLast(2).split(separator: " ")
        guard words.count == 2, let family = TableFamily(rawValue: String(words[0])) else { return nil }
        var seen = ObservedFirewall(table: TableName(family: family, name: String(words[1])), text: text, chains: [])
        var handle = 1
        while let line = lines.popFirst(), line != "}" {
            if line.hasPrefix("flags ") { seen.hasFlags = true; continue }
            if line.hasPrefix("comment \"") { seen.comment = ObservedFirewall.comment(inListing: line); continue }
            guard line.hasPrefix("chain "), line.hasSuffix(" {") else { return nil }
            var chain = ObservedChain(name: String(line.dropFirst(6).dropLast(2)))
            while let body = lines.popFirst(), body != "}" {
                handle += 1
                if body.hasPrefix("type ") { declare(&chain, body); continue }
                chain.rules.append(rule(body, handle: handle))
            }
            seen.chains.append(chain)
        }
        return seen
    }

    /// `type nat hook prerouting priority dstnat; policy accept;`
    static func declare(_ chain: inout ObservedChain, _ line: String) {
        let w = line.replacingOccurrences(of: ";", with: "").split(separator: " ").map(String.init)
        func after(_ key: String) -> String? { w.firstIndex(of: key).flatMap { $0 + 1 < w.count ? w[$0 + 1] : nil } }
        chain.type = after("type")
        chain.hook = after("hook")
        chain.priority = after("priority").flatMap { priorities[$0] ?? Int($0) }
        chain.policy = after("policy")
    }

    /// `STATEMENT comment "C"`.
    static func rule(_ line: String, handle: Int) -> ObservedRule {
        guard line.hasSuffix("\""), let r = line.range(of: " comment \"", options: .backwards) else {
            return ObservedRule(handle: handle, comment: nil, statement: line)
        }
        return ObservedRule(handle: handle, comment: String(line[r.upperBound...].dropLast()), statement: String(line[..<r.lowerBound]))
    }
}
