import Foundation
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
/// `Examples.ruleset` in place, then edited by hand: the DNAT commented `web` moved to port
/// 9090 (by its handle), then `more`, in one nft run.
func handEdit(_ nft: NFTables, _ table: OwnedTable, web: String, _ more: String) throws {
    try table.replace(with: Examples.ruleset)
    let handle = try handle(of: web, in: "output", table)
    try nft.run("""
        replace rule inet plumb output handle \(handle) fib daddr type local tcp dport 9090 dnat ip to 10.88.0.2:80 comment "\(web)"
        \(more)
        """)
}

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
            try handEdit(nft, table, web: web, """
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

    /// `create` (a table seen absent) makes exactly what `replace` makes, comment included,
    /// and is refused when any table of that name exists by then: theirs stays as it was.
    @Test func createMakesTheTableAndNeverTouchesOneThatExists() throws {
        let theirs = foreignTable.replacingOccurrences(of: "inet foreign", with: "inet plumb")
        let (made, comment, refused, after) = try inPrivateNamespace { nft, table in
            try table.create(with: Examples.ruleset)
            let made = try nft.listTable(family: .inet, name: "plumb")
            let comment = try table.observe()?.comment
            try table.delete()
            try nft.run(theirs)
            let refused = failure { try table.create(with: Examples.ruleset) }
            return (made, comment, refused, try nft.listTable(family: .inet, name: "plumb"))
        }
        #expect(made == Examples.rulesetTable)
        #expect(comment == Renderer.defaultComment)
        #expect("\(refused.map { String(describing: $0) } ?? "none")".contains("File exists"), "\(String(describing: refused))")
        #expect(after == theirs)
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

/// The owned table is read from one text listing with handles; the JSON listing (whose
/// printer names every expression) reads the same table alike. Each case is a table the
/// kernel really holds, read both ways.
@Suite struct TableListingTests {
    let web = "containers[1] web port tcp/8080"

    /// The table read from its text listing, and from its JSON listing (plus the plain text
    /// listing for the comment and the undo text, as the JSON reading needs).
    func readBothWays(_ setUp: @escaping (NFTables, OwnedTable) throws -> Void) throws -> (text: ObservedFirewall?, json: ObservedFirewall, observed: ObservedFirewall?) {
        try inPrivateNamespace { nft, table in
            try setUp(nft, table)
            let listing = try #require(try nft.listTable(family: .inet, name: "plumb", handles: true))
            var json = try ObservedFirewall(listingJSON: try #require(try nft.listTableJSON(family: .inet, name: "plumb")))
            json.text = try nft.listTable(family: .inet, name: "plumb")
            json.comment = json.text.flatMap(ObservedFirewall.comment(inListing:))
            return (ObservedFirewall(listing: listing), json, try table.observe())
        }
    }

    @Test func everyRulesetPlumbWritesReadsTheSameFromText() throws {
        for ruleset in [Examples.ruleset, Examples.dualStack, NATRuleset()] {
            let read = try readBothWays { _, table in try table.replace(with: ruleset, comment: "plumb:net-1") }
            #expect(read.text != nil, "the text reader declined Plumb's own table")
            #expect(read.text == read.json)
            #expect(read.observed == read.json)
            #expect(read.text?.comment == "plumb:net-1")
            #expect(OwnedTable.diff(desired: ruleset, observed: read.text).isEmpty)
        }
    }

    @Test func handEditsReadTheSameFromText() throws {
        let read = try readBothWays { nft, table in
            try handEdit(nft, table, web: web, """
                add rule inet plumb forward tcp dport 22 counter drop
                add rule inet plumb forward counter comment "only a comment"
                add chain inet plumb late { type nat hook postrouting priority srcnat + 5; policy accept; }
                add chain inet plumb early { type filter hook forward priority -7; policy drop; }
                add chain inet plumb mine
                add rule inet plumb mine ip daddr 192.0.2.1 return
                add table inet plumb { flags dormant; }
                """)
        }
        #expect(read.text != nil)
        #expect(read.text == read.json)
        #expect(read.text?.hasFlags == true)
        #expect(read.text?.chain(named: "late")?.priority == 105)
        #expect(read.text?.chain(named: "early")?.priority == -7)
        #expect(read.text?.chain(named: "forward")?.rules.map(\.statement).contains("tcp dport 22 counter drop") == true)
        #expect(!OwnedTable.diff(desired: Examples.ruleset, observed: read.text).isEmpty)
    }

    @Test func aTableHoldingMoreThanPlumbWritesIsReadFromJSON() throws {
        let read = try readBothWays { nft, table in
            try table.replace(with: Examples.ruleset)
            try nft.run("""
                add set inet plumb theirs { type ipv4_addr; }
                add chain inet plumb postrouting { comment "theirs"; }
                """)
        }
        #expect(read.text == nil, "a set and a chain comment are not Plumb's: not guessed at")
        #expect(read.observed == read.json)
    }

    @Test func listingsOfOtherShapesAreDeclined() {
        let ok = "table inet plumb { # handle 1\n\tcomment \"c\"\n\tchain c { # handle 2\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t\tmasquerade comment \"r\" # handle 3\n\t}\n}\n"
        #expect(ObservedFirewall(listing: ok)?.chains.first?.rules.first == ObservedRule(handle: 3, comment: "r", statement: "masquerade"))
        #expect(ObservedFirewall(listing: ok)?.text == ok.replacingOccurrences(of: #" # handle \d+"#, with: "", options: .regularExpression))
        for bad in [
            String(ok.dropLast(2)),                                    // no closing brace
            ok.replacingOccurrences(of: "table inet", with: "table bogus"),
            ok.replacingOccurrences(of: "priority srcnat;", with: "priority soon;"),
            ok.replacingOccurrences(of: "\t\tmasquerade", with: "\t\tdevices = { eth0 }\n\t\tmasquerade"),
            ok + "table inet other {\n}\n",
        ] {
            #expect(ObservedFirewall(listing: bad) == nil, "\(bad)")
        }
    }
}
