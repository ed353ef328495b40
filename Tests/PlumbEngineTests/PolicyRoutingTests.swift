@testable import PlumbEngine
import PlumbManifest
import PlumbNetlink
import PlumbTypes
import Testing

/// Issue 15 (policy routing) on the fake kernel: routes in a table, rules in a container and
/// on the host, `sourceRouting` — planned, applied, converged, drift restored, rolled back at
/// every step, and host rules owned by proof (`proto 126` + the record).
@Suite("Policy routing")
struct PolicyRoutingTests {
    static let manifest = """
        version: 1
        name: pr
        host:
          rules:
            - {from: 172.16.9.0/24, table: 200, priority: 1000}
        bridges:
          - {name: br1, addresses: [10.1.0.1/24]}
          - {name: br2, addresses: [10.2.0.1/24]}
        containers:
          - name: mh
            netns: mh
            interfaces:
              - {name: eth0, veth: {bridge: br1}, addresses: [10.1.0.2/24], sourceRouting: true}
              - {name: eth1, veth: {bridge: br2}, addresses: [10.2.0.2/24], sourceRouting: true}
            routes:
              - {to: default, via: 10.1.0.1}
              - {to: default, via: 10.2.0.1, metric: 200}
              - {to: 10.9.0.0/16, via: 10.2.0.1, table: 300}
            rules:
              - {fwmark: "0x10/0xff", table: 300, priority: 500}
        """

    @Test("the plan shows sbr's tables and rules as ip commands; apply converges; verify passes every rule and table route")
    func appliesAndConverges() throws {
        let w = World()
        let l = try layer(Self.manifest)
        let plan = lines(try w.engine().plan(l))
        for line in ["+ ip -n mh route add 10.9.0.0/16 via 10.2.0.1 dev eth1 table 300",
                     "+ ip -n mh route add 10.1.0.0/24 dev eth0 table 100",
                     "+ ip -n mh route add default via 10.1.0.1 dev eth0 table 100",
                     "+ ip -n mh route add 10.2.0.0/24 dev eth1 table 101",
                     "+ ip -n mh route add default via 10.2.0.1 dev eth1 metric 200 table 101",
                     "+ ip rule add priority 1000 from 172.16.9.0/24 lookup 200 proto 126",
                     "+ ip -n mh rule add priority 500 from all fwmark 0x10/0xff lookup 300 proto 126",
                     "+ ip -n mh -6 rule add priority 500 from all fwmark 0x10/0xff lookup 300 proto 126",
                     "+ ip -n mh rule add from 10.1.0.2 lookup 100 proto 126",
                     "+ ip -n mh rule add from 10.2.0.2 lookup 101 proto 126"] {
            #expect(plan.contains(line), "missing \(line) in \(plan)")
        }
        try w.engine().apply(l)
        #expect(lines(try w.engine().plan(l)) == [])
        #expect(try w.record(l)?.hostRules.map(\.text) == ["priority 1000 from 172.16.9.0/24 lookup 200"])
        let report = try w.engine().verify(l)
        let rows = report.containers.flatMap(\.checks).filter { $0.name == "rules" || ($0.name == "routes" && $0.expected.contains("table")) }
            + report.host.checks.filter { $0.name == "rules" }
        #expect(rows.count == 10 && rows.allSatisfy { $0.status == .pass }, "\(rows.map { "\($0.status) \($0.expected)" })")
    }

    @Test("a rule or table route deleted by hand is drift: planned (exit 2 for the CLI) and restored")
    func driftRestored() throws {
        let w = World()
        let l = try layer(Self.manifest)
        try w.engine().apply(l)
        let applied = w.kernel.snapshot()
        let mh = try #require(w.kernel.namespaces.values.first { w.kernel.names(of: $0.id).contains("netns mh") })
        mh.rules.removeAll { $0.table == 101 }
        mh.routes.removeAll { $0.table == 100 && $0.destination.isDefault }
        w.kernel.namespaces[FakeKernel.hostID]!.rules.removeAll()
        #expect(lines(try w.engine().plan(l)) == ["+ ip -n mh route add default via 10.1.0.1 dev eth0 table 100",
                                                  "+ ip rule add priority 1000 from 172.16.9.0/24 lookup 200 proto 126   # drift: deleted",
                                                  "+ ip -n mh rule add from 10.2.0.2 lookup 101 proto 126"])
        try w.engine().apply(l)
        #expect(lines(try w.engine().plan(l)) == [])
        #expect(w.kernel.snapshot().lines.filter { $0.contains("rule") }.count == applied.lines.filter { $0.contains("rule") }.count)
    }

    @Test("a failure at any step undoes every rule and table route it added: kernel and records as before")
    func rollbackAtEveryStep() throws {
        let l = try layer(Self.manifest)
        let count = try World().engine().plan(l).steps.count
        for k in 1...count {
            let w = World()
            let before = w.kernel.snapshot(), records = w.recordFiles()
            #expect(throws: ApplyError.self, "step \(k)") { try w.engine(faultStep: k).apply(l) }
            expectSame(w.kernel.snapshot(), before, "fault at step \(k)")
            #expect(w.recordFiles() == records, "step \(k)")
        }
    }

    @Test("host rules are Plumb's by proof: a foreign identical rule is refused, destroy removes only a rule still marked proto 126")
    func hostRulesOwnedByProof() throws {
        let foreign = World()
        foreign.kernel.namespaces[FakeKernel.hostID]!.rules.append(
            RuleInfo(family: .v4, priority: 1000, from: IPPrefix("172.16.9.0/24"), table: 200, proto: 4))
        let l = try layer(Self.manifest)
        let refused = #expect(throws: PlanErrors.self) { try foreign.engine().plan(l) }
        #expect(refused?.errors.map(\.description).contains {
            $0.contains("host.rules[0]") && $0.contains("(proto 4), which is not") && $0.contains("line 5")
        } == true, "\(refused.map { "\($0)" } ?? "-")")

        let w = World()
        try w.engine().apply(l)
        // Someone re-marks it by hand: destroy leaves it and says so.
        let host = w.kernel.namespaces[FakeKernel.hostID]!
        try w.engine().destroy(l.owner)
        #expect(host.rules.isEmpty, "\(host.rules)")

        let again = World()
        try again.engine().apply(l)
        let h = again.kernel.namespaces[FakeKernel.hostID]!
        h.rules[0].proto = 4
        let result = try again.engine().destroy(l.owner)
        #expect(h.rules.count == 1, "a rule no longer marked is not Plumb's to remove")
        #expect(result.notes.contains { $0.contains("left alone") && $0.contains("proto 4") }, "\(result.notes)")
    }

    @Test("a host rule dropped from the manifest is removed by the next apply")
    func undeclaredHostRuleRemoved() throws {
        let w = World()
        try w.engine().apply(try layer(Self.manifest))
        let fewer = try layer(Self.manifest.replacingOccurrences(of: "host:\n  rules:\n    - {from: 172.16.9.0/24, table: 200, priority: 1000}\n", with: ""))
        #expect(lines(try w.engine().plan(fewer)) == ["- ip rule del priority 1000 from 172.16.9.0/24 lookup 200   # no longer declared"])
        try w.engine().apply(fewer)
        #expect(w.kernel.namespaces[FakeKernel.hostID]!.rules.isEmpty)
        #expect(try w.record(fewer)?.hostRules.isEmpty == true)
    }

    @Test("rules in a namespace Plumb did not create ({pid}) are recorded and removed by destroy; the namespace stays")
    func rulesInAForeignNamespaceGoAtDestroy() throws {
        let w = World()
        _ = w.kernel.addProcess(4242)
        let l = try layer("""
            version: 1
            bridges: [{name: br1, addresses: [10.1.0.1/24]}]
            containers:
              - name: app
                netns: {pid: 4242}
                interfaces: [{name: eth0, veth: {bridge: br1}, addresses: [10.1.0.2/24], sourceRouting: true}]
                routes: [{to: default, via: 10.1.0.1}]
                rules: [{fwmark: 7, table: 300}]
            """)
        try w.engine().apply(l)
        let ns = try #require(w.kernel.namespaces.values.first { w.kernel.names(of: $0.id).contains("pid 4242") })
        #expect(ns.rules.count == 3, "fwmark 7 in both families and from 10.1.0.2: \(ns.rules)")
        #expect(try w.record(l)?.ruleEntries.count == 3)
        ns.rules.append(RuleInfo(family: .v4, priority: 10, from: IPPrefix("10.1.0.9/32"), table: 9, proto: 4))   // someone else's
        let plan = try w.engine().destroy(l.owner)
        #expect(lines(plan).filter { $0.contains("rule del") }.count == 3, "\(lines(plan))")
        #expect(ns.rules.map(\.text) == ["priority 10 from 10.1.0.9 lookup 9"], "only the foreign rule stays: \(ns.rules)")
        #expect(w.kernel.namespaces[ns.id] != nil)
    }

    @Test("sourceRouting turned off: the next apply removes the rules it had added (the table's routes stay, like any route)")
    func sourceRoutingTurnedOff() throws {
        let w = World()
        try w.engine().apply(try layer(Self.manifest))
        let off = try layer(Self.manifest.replacingOccurrences(of: ", sourceRouting: true", with: ""))
        #expect(lines(try w.engine().plan(off)) == ["- ip -n mh rule del from 10.1.0.2 lookup 100   # no longer declared",
                                                    "- ip -n mh rule del from 10.2.0.2 lookup 101   # no longer declared"])
        try w.engine().apply(off)
        #expect(lines(try w.engine().plan(off)) == [])
        let mh = try #require(w.kernel.namespaces.values.first { w.kernel.names(of: $0.id).contains("netns mh") })
        #expect(mh.rules.map(\.table).sorted() == [300, 300], "the fwmark rule of both families stays: \(mh.rules)")
    }
}
