import PlumbSystem
import Testing
@testable import PlumbFirewall

/// Runs `body` on a fresh thread inside a brand-new network namespace, with an nft context
/// created there. Every kernel change of these tests happens in such a namespace, which
/// dies with its thread; the machine's own ruleset is never touched. Expectations are
/// checked by the caller on the test's task, from the values `body` returns.
func inPrivateNamespace<T>(_ body: (NFTables, OwnedTable) throws -> T) throws -> T {
    try NetnsThread.runInNewNamespace {
        let nft = try NFTables()
        return try body(nft, OwnedTable(nft: nft))
    }
}

/// Runs `body` and hands back the error it threw, if any.
func failure(_ body: () throws -> Void) -> Error? {
    do { try body(); return nil } catch { return error }
}

/// The handle of the rule with `comment` in `chain`, read back from the kernel.
func handle(of comment: String, in chain: String, _ table: OwnedTable) throws -> Int {
    let rules = try table.observe()?.chain(named: chain)?.rules ?? []
    guard let rule = rules.first(where: { $0.comment == comment }) else {
        throw FirewallError.unreadableListing("no rule \(comment) in \(chain)")
    }
    return rule.handle
}

let foreignTable = """
    table inet foreign {
    \tchain c {
    \t\ttype filter hook input priority filter; policy accept;
    \t\tcounter packets 0 bytes 0
    \t}
    }

    """

/// Root: CI runs as root, so these always run. Each test has its own namespace.
@Suite struct KernelTests {
    let web = "containers[1] web port tcp/8080"

    @Test func replaceThenObserveEqualsDesired() throws {
        let (listed, drifts, dualDrifts) = try inPrivateNamespace { nft, table in
            try table.replace(with: Examples.ruleset)
            let listed = try nft.listTable(family: .inet, name: "plumb")
            let drifts = try table.drift(from: Examples.ruleset)
            try table.replace(with: Examples.dualStack)
            return (listed, drifts, try table.drift(from: Examples.dualStack))
        }
        #expect(drifts.isEmpty)
        #expect(dualDrifts.isEmpty)
        #expect(listed == Examples.rulesetTable) // nft prints back exactly what was rendered
    }

    @Test func reReplaceIsByteIdentical() throws {
        let (first, second) = try inPrivateNamespace { nft, table in
            try table.replace(with: Examples.ruleset)
            let first = try nft.listTable(family: .inet, name: "plumb")
            try table.replace(with: Examples.ruleset)
            return (first, try nft.listTable(family: .inet, name: "plumb"))
        }
        #expect(first != nil)
        #expect(first == second)
    }

    @Test func ruleDeletedByHandIsNamedAndReplaceRestoresIt() throws {
        let (drifts, afterRestore) = try inPrivateNamespace { nft, table in
            try table.replace(with: Examples.ruleset)
            let handle = try handle(of: web, in: "prerouting", table)
            try nft.run("delete rule inet plumb prerouting handle \(handle)")
            let drifts = try table.drift(from: Examples.ruleset)
            try table.replace(with: Examples.ruleset)
            return (drifts, try table.drift(from: Examples.ruleset))
        }
        #expect(drifts == [.ruleMissing(chain: "prerouting", comment: web)])
        #expect(drifts.map(\.description) == [#"missing rule "containers[1] web port tcp/8080" in chain prerouting"#])
        #expect(afterRestore.isEmpty)
    }

    @Test func handEditsAreNamed() throws {
        let drifts = try inPrivateNamespace { nft, table in
            try table.replace(with: Examples.ruleset)
            let handle = try handle(of: web, in: "output", table)
            try nft.run("""
                replace rule inet plumb output handle \(handle) fib daddr type local tcp dport 9090 dnat ip to 10.88.0.2:80 comment "\(web)"
                add rule inet plumb forward tcp dport 22 drop
                add table inet plumb { flags dormant; }
                """)
            return try table.drift(from: Examples.ruleset)
        }
        #expect(drifts == [
            .tableFlagged(table: "inet plumb"),
            .ruleChanged(chain: "output", comment: web,
                         desired: "fib daddr type local tcp dport 8080 dnat ip to 10.88.0.2:80",
                         observed: "fib daddr type local tcp dport 9090 dnat ip to 10.88.0.2:80"),
            .ruleExtra(chain: "forward", comment: nil, statement: "tcp dport 22 drop"),
        ])
    }

    @Test func foreignTableSurvivesReplaceAndDelete() throws {
        let (afterReplace, afterDelete, ruleset) = try inPrivateNamespace { nft, table in
            try nft.run(foreignTable)
            try table.replace(with: Examples.ruleset)
            let afterReplace = try nft.listTable(family: .inet, name: "foreign")
            try table.delete()
            return (afterReplace, try nft.listTable(family: .inet, name: "foreign"), try nft.listRuleset())
        }
        #expect(afterReplace == foreignTable)
        #expect(afterDelete == foreignTable)
        #expect(ruleset == foreignTable) // ours is gone, theirs alone remains
    }

    @Test func deletingAnAbsentTableIsFine() throws {
        let (observed, json, ruleset) = try inPrivateNamespace { nft, table in
            try table.delete()
            try table.replace(with: Examples.ruleset)
            try table.delete()
            try table.delete()
            return (try table.observe(), try nft.listTableJSON(family: .inet, name: "plumb"), try nft.listRuleset())
        }
        #expect(observed == nil)
        #expect(json == nil)
        #expect(ruleset == "")
    }

    @Test func absentIsNilButOtherListingErrorsThrow() throws {
        let (absent, error) = try inPrivateNamespace { nft, _ in
            (try nft.listTableJSON(family: .inet, name: "nothere"),
             failure { _ = try nft.listTableJSON(family: .inet, name: "bad name") })
        }
        #expect(absent == nil)
        let rejected = try #require(error as? FirewallError)
        #expect(rejected.isNoSuchObject == false)
        #expect(rejected.nftMessage?.hasPrefix("Error: syntax error") == true)
    }

    @Test func invalidRulesetThrowsNftsMessageAndChangesNothing() throws {
        var bad = Examples.ruleset
        bad.portForwards[0].hostPort = 70000
        let (before, error, checkError, after) = try inPrivateNamespace { nft, table in
            try nft.run(foreignTable)
            try table.replace(with: Examples.ruleset)
            let before = try nft.listRuleset()
            let error = failure { try table.replace(with: bad) }
            let checkError = failure { try table.validate(bad) }
            return (before, error, checkError, try nft.listRuleset())
        }
        let rejected = try #require(error as? FirewallError)
        // nft's own words, located on the offending line of the script (see ErrorLocation).
        #expect(rejected.description.hasPrefix("""
            replace table inet plumb: nft: script:7:34-38: Error: Service out of range
            \t\tfib daddr type local tcp dport 70000 dnat ip to 10.88.0.2:80 comment "\(web)"
            \t\t                               ^^^^^
            """))
        #expect((checkError as? FirewallError)?.nftMessage == rejected.nftMessage)
        #expect(after == before)
    }

    /// The kernel, not nft, refuses the last statement: the add and delete earlier in the
    /// same buffer are rolled back with it, so the old table stays.
    @Test func kernelRefusalKeepsTheOldTable() throws {
        let (before, error, after) = try inPrivateNamespace { nft, table in
            try table.replace(with: Examples.ruleset)
            let before = try nft.listRuleset()
            let error = failure {
                try nft.run("""
                    add table inet plumb
                    delete table inet plumb
                    table inet plumb {
                    \tchain prerouting {
                    \t\ttype nat hook prerouting priority dstnat; policy accept;
                    \t\tmasquerade
                    \t}
                    }
                    """)
            }
            return (before, error, try nft.listRuleset())
        }
        let message = try #require((error as? FirewallError)?.nftMessage)
        #expect(message.hasPrefix("script:6:3-12: Error: Could not process rule: \(Errno.notSupported.message)\n\t\tmasquerade"))
        #expect(after == before)
    }

    @Test func validateTouchesNothing() throws {
        let (observed, ruleset) = try inPrivateNamespace { nft, table in
            try table.validate(Examples.dualStack)
            return (try table.observe(), try nft.listRuleset())
        }
        #expect(observed == nil)
        #expect(ruleset == "")
    }
}
