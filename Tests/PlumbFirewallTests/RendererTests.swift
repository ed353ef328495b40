import Testing
@testable import PlumbFirewall

@Suite struct RendererTests {
    @Test func tableIsGolden() {
        #expect(Renderer.table(Examples.ruleset) == Examples.rulesetTable)
    }

    @Test func replaceScriptIsAddDeleteThenTable() {
        let script = Renderer.replaceScript(Examples.ruleset)
        #expect(script == "add table inet plumb\ndelete table inet plumb\n" + Examples.rulesetTable)
    }

    @Test func deleteScriptNamesOnlyOurTable() {
        #expect(Renderer.deleteScript() == "add table inet plumb\ndelete table inet plumb\n")
        #expect(Renderer.deleteScript(table: TableName(family: .ip, name: "other")) == "add table ip other\ndelete table ip other\n")
    }

    @Test func sameInputSameBytes() {
        let again = NATRuleset(masquerades: [Examples.masquerade], portForwards: [Examples.web, Examples.dns])
        #expect(again == Examples.ruleset)
        #expect(Renderer.replaceScript(again) == Renderer.replaceScript(Examples.ruleset))
        #expect(Renderer.table(Examples.dualStack) == Renderer.table(Examples.dualStack))
    }

    @Test func emptyRulesetKeepsAllChains() {
        let text = Renderer.table(NATRuleset())
        #expect(text == """
            table inet plumb {
            \tcomment "owned by plumb: rebuilt from the manifest on every apply"
            \tchain prerouting {
            \t\ttype nat hook prerouting priority dstnat; policy accept;
            \t}

            \tchain output {
            \t\ttype nat hook output priority -100; policy accept;
            \t}

            \tchain postrouting {
            \t\ttype nat hook postrouting priority srcnat; policy accept;
            \t}

            \tchain forward {
            \t\ttype filter hook forward priority filter; policy accept;
            \t\tct state established,related accept comment "plumb established,related"
            \t}
            }

            """)
    }

    @Test func ipv6RulesUseIp6AndBracketedPorts() {
        let v6 = Examples.dualStack.portForwards[1]
        #expect(v6.family == .ipv6)
        #expect(v6.dnatRule.statement == "fib daddr type local tcp dport 8443 dnat ip6 to [fd00:88::2]:443")
        #expect(v6.hairpinRule.statement
                == "oifname \"br0\" ct status dnat ip6 saddr fd00:88::/64 ip6 daddr fd00:88::2 tcp dport 443 masquerade")
        #expect(Examples.dualStack.masquerades[1].rule.statement == "ip6 saddr fd00:88::/64 oifname != \"br0\" masquerade")
    }

    @Test func commentsAreMadeSafeForNft() {
        #expect(FirewallRule(statement: "accept", comment: "say \"hi\"\nnow").comment == "say 'hi' now")
        let long = String(repeating: "é", count: 100) // 200 bytes
        let fitted = FirewallRule(statement: "accept", comment: long).comment
        #expect(fitted.utf8.count == 128)
        #expect(fitted == String(repeating: "é", count: 64))
    }
}
