/// Turns a `NATRuleset` into nft scripts. Pure: the same input always gives the same
/// bytes, and the table block is exactly what `nft list table inet plumb` prints back
/// (tabs, blank lines between chains), so a listing can be compared byte for byte.
public enum Renderer {
    /// The comment of a table rendered without an owner's mark (tests, examples).
    public static let defaultComment = "owned by plumb: rebuilt from the manifest on every apply"

    /// Tells whoever lists the ruleset by hand whose table this is.

    /// The table block:
    /// ```
    /// table inet plumb {
    /// 	comment "…"
    /// 	chain prerouting {
    /// 		type nat hook prerouting priority dstnat; policy accept;
    /// 		fib daddr type local tcp dport 8080 dnat ip to 10.88.0.2:80 comment "…"
    /// 	}
    /// …
    /// }
    /// ```
    /// `comment` is the owner's mark (its record id): the table is Plumb's only while it carries it.
    public static func table(_ ruleset: NATRuleset, table: TableName = .plumb, comment: String = defaultComment) -> String {
        let chains = ruleset.chains.map(chainBlock).joined(separator: "\n")
        return "table \(table) {\n\tcomment \"\(comment)\"\n\(chains)}\n"
    }

    /// The atomic replace, one transaction.
    /// Equivalent to: `nft -f replace.nft` with
    /// `add table inet plumb; delete table inet plumb; table inet plumb { … }`.
    /// `add` makes the `delete` valid when the table is absent (nft 1.0.6 has no `destroy`);
    /// the kernel commits all three or none, so no moment exists without NAT rules.
    public static func replaceScript(_ ruleset: NATRuleset, table: TableName = .plumb, comment: String = defaultComment) -> String {
        deleteScript(table: table) + self.table(ruleset, table: table, comment: comment)
    }

    /// A table made where none was seen, one transaction.
    /// Equivalent to: `nft -f create.nft` with `create table inet plumb { comment "…"; }; table inet plumb { … }`.
    /// `create` is refused (EEXIST) when a table of that name appeared since it was seen
    /// absent: someone else's table is never merged into or replaced. The comment goes with
    /// the `create`: a table's comment is set only when it is made. Unlike the replace, it
    /// deletes nothing, so the kernel has no deferred destroy of this transaction to flush
    /// — which it does, after an RCU grace period (2–8 ms measured), when the nft socket
    /// closes at the process's end: a host's first CNI ADD paid it.
    public static func createScript(_ ruleset: NATRuleset, table: TableName = .plumb, comment: String = defaultComment) -> String {
        "create table \(table) { comment \"\(comment)\"; }\n" + self.table(ruleset, table: table, comment: comment)
    }

    /// The same swap with a table's listed text (an undo puts back what was there).
    public static func replaceScript(text: String, table: TableName) -> String {
        deleteScript(table: table) + text
    }

    /// Removes only the named table, present or not.
    /// Equivalent to: `nft 'add table inet plumb; delete table inet plumb'`.
    public static func deleteScript(table: TableName = .plumb) -> String {
        "add table \(table)\ndelete table \(table)\n"
    }

    private static func chainBlock(_ chain: FirewallChain) -> String {
        let rules = chain.rules.map { "\t\t\($0.text)\n" }.joined()
        return "\tchain \(chain.spec.name) {\n\t\t\(chain.spec.declaration)\n\(rules)\t}\n"
    }
}
