import Testing
@testable import PlumbFirewall

/// Listing parsing and drift detection on recorded nft output: no privileges needed.
@Suite struct DriftTests {
    let desired = Examples.ruleset
    let web = "containers[1] web port tcp/8080"

    func recorded() throws -> ObservedFirewall {
        try ObservedFirewall(listingJSON: Fixtures.rulesetListing)
    }

    @Test func listingReadsChainsRulesAndComments() throws {
        let observed = try recorded()
        #expect(observed.table == .plumb)
        #expect(observed.hasFlags == false)
        #expect(observed.chains.map(\.name) == ["prerouting", "output", "postrouting", "forward"])
        let postrouting = try #require(observed.chain(named: "postrouting"))
        #expect(postrouting.summary == "type nat hook postrouting priority 100 policy accept")
        #expect(postrouting.rules.map(\.comment) == ["bridges[0] br0 masquerade", web, "containers[2] dns port udp/5353"])
        #expect(postrouting.rules[0].handle == 9)
        #expect(postrouting.rules[1].statement
                == #"oifname "br0" ct status dnat ip saddr 10.88.0.0/16 ip daddr 10.88.0.2 tcp dport 80 masquerade"#)
    }

    @Test func recordedListingOfTheRenderedTableHasNoDrift() throws {
        let observed = try recorded()
        #expect(OwnedTable.diff(desired: desired, observed: observed).isEmpty)
        // Every listed rule reads back as the exact line the renderer wrote.
        let listed = observed.chains.flatMap(\.rules).map(\.text)
        let rendered = desired.chains.flatMap(\.rules).map(\.text)
        #expect(listed == rendered)
    }

    @Test func absentTableIsOneDrift() {
        let drifts = OwnedTable.diff(desired: desired, observed: nil)
        #expect(drifts == [.tableMissing(table: "inet plumb")])
        #expect(drifts.map(\.description) == ["missing table inet plumb"])
    }

    @Test func deletedRuleIsNamedByItsComment() throws {
        var observed = try recorded()
        observed.chains[0].rules.removeAll { $0.comment == web }
        let drifts = OwnedTable.diff(desired: desired, observed: observed)
        #expect(drifts == [.ruleMissing(chain: "prerouting", comment: web)])
        #expect(drifts.first?.description == #"missing rule "containers[1] web port tcp/8080" in chain prerouting"#)
    }

    @Test func changedRuleShowsBothTexts() throws {
        var observed = try recorded()
        observed.chains[1].rules[0].statement = "fib daddr type local tcp dport 9090 dnat ip to 10.88.0.2:80"
        let drifts = OwnedTable.diff(desired: desired, observed: observed)
        #expect(drifts == [.ruleChanged(chain: "output", comment: web,
                                        desired: "fib daddr type local tcp dport 8080 dnat ip to 10.88.0.2:80",
                                        observed: "fib daddr type local tcp dport 9090 dnat ip to 10.88.0.2:80")])
    }

    @Test func extraRulesAndChainsAreReported() throws {
        var observed = try recorded()
        observed.chains[3].rules.append(ObservedRule(handle: 99, comment: nil, statement: "tcp dport 22 drop"))
        observed.chains.append(ObservedChain(name: "mine"))
        let drifts = OwnedTable.diff(desired: desired, observed: observed)
        #expect(drifts == [.ruleExtra(chain: "forward", comment: nil, statement: "tcp dport 22 drop"),
                           .chainExtra(chain: "mine")])
        #expect(drifts.map(\.description) == ["extra rule in chain forward: tcp dport 22 drop", "extra chain mine"])
    }

    @Test func reorderedRulesAreReported() throws {
        var observed = try recorded()
        observed.chains[2].rules.swapAt(0, 1)
        #expect(OwnedTable.diff(desired: desired, observed: observed) == [.rulesReordered(chain: "postrouting")])
    }

    @Test func changedChainPolicyAndDormantTableAreReported() throws {
        var observed = try recorded()
        observed.chains[3].policy = "drop"
        observed.hasFlags = true
        observed.chains.remove(at: 1)
        let drifts = OwnedTable.diff(desired: desired, observed: observed)
        #expect(drifts == [
            .tableFlagged(table: "inet plumb"),
            .chainMissing(chain: "output"),
            .chainChanged(chain: "forward", desired: "type filter hook forward priority 0 policy accept",
                          observed: "type filter hook forward priority 0 policy drop"),
        ])
    }

    @Test func expressionsOutsidePlumbsSubsetNeverMatch() throws {
        let listing = #"""
            {"nftables": [{"table": {"family": "inet", "name": "plumb", "handle": 1}},
            {"chain": {"family": "inet", "table": "plumb", "name": "output", "handle": 1}},
            {"rule": {"family": "inet", "table": "plumb", "chain": "output", "handle": 7, "expr": [
              {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": {"set": [{"range": [1, 5]}, 9]}}},
              {"counter": {"packets": 3, "bytes": 180}},
              {"mangle": {"key": {"meta": {"key": "mark"}}, "value": 3}},
              {"accept": null}]}}]}
            """#
        let observed = try ObservedFirewall(listingJSON: listing)
        let rule = try #require(observed.chain(named: "output")?.rules.first)
        #expect(rule.statement == #"tcp dport { 1-5, 9 } counter <{"mangle":{"key":{"meta":{"key":"mark"}},"value":3}}> accept"#)
        #expect(observed.chain(named: "output")?.summary == "regular chain")
    }

    @Test func unreadableListingIsATypedError() {
        #expect(throws: FirewallError.unreadableListing("no \"nftables\" array")) {
            try ObservedFirewall(listingJSON: #"{"tables": []}"#)
        }
    }
}
