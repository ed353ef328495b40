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

    /// `create table T { comment … }; table T { … }`: refused when T exists.
    func create(with ruleset: NATRuleset, comment: String) throws {
        try kernel.enter("createTable") { refuse("create", "Error: \($0.message)") }
        guard kernel.tables[table] == nil else { throw refuse("create", "Error: Could not process rule: File exists") }
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

/// Reads a stored table listing the way the real one is read: annotated with handles as
/// `nft -a list table` prints it (the table, each chain, each rule), then through
/// `ObservedFirewall(listing:)`; nil when it is not one.
enum FakeListing {
    static func parse(_ text: String) -> ObservedFirewall? { ObservedFirewall(listing: withHandles(text)) }

    static func withHandles(_ text: String) -> String {
        var handle = 0, depth = 0
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.hasSuffix("{") { depth += 1; handle += 1; return "\(line) # handle \(handle)" }
            if t == "}" { depth -= 1; return String(line) }
            guard depth == 2, !t.isEmpty, !t.hasPrefix("type ") else { return String(line) }
            handle += 1
            return "\(line) # handle \(handle)"
        }.joined(separator: "\n")
    }
}
