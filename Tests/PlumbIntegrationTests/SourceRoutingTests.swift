import Foundation
import Testing

/// Issue 15, must-show 1 (policy routing): a multi-homed container — two bridges, a peer
/// network behind each, the host routing with strict reverse-path filtering — answers a ping
/// from each side only with `sourceRouting`: without it the reply to the second side leaves by
/// the first interface's default route and the host drops it (one side fails); with it, each
/// reply leaves by the interface its request came in on. The rules and table routes converge,
/// a rule deleted by hand is drift (exit 2) that apply restores, and a host rule carries
/// Plumb's mark (`proto 126`) until destroy removes it.
@Suite("Policy routing: sourceRouting on a multi-homed container", .timeLimit(.minutes(10)))   // time waiting in Heavy's queue counts
struct SourceRoutingTests {
    static func manifest(sourceRouting: Bool) -> String {
        let sbr = sourceRouting ? ", sourceRouting: true" : ""
        return """
            version: 1
            name: sbr
            host:
              rules:
                - {from: 172.16.9.0/24, table: 200, priority: 1000}
            bridges:
              - {name: br1, addresses: [10.61.0.1/24]}
              - {name: br2, addresses: [10.62.0.1/24]}
            containers:
              - name: mh
                netns: mh
                interfaces:
                  - {name: eth0, veth: {bridge: br1}, addresses: [10.61.0.2/24]\(sbr)}
                  - {name: eth1, veth: {bridge: br2}, addresses: [10.62.0.2/24]\(sbr)}
                routes:
                  - {to: default, via: 10.61.0.1}
                  - {to: default, via: 10.62.0.1, metric: 200}
            """
    }

    /// Two peer namespaces, each on a network of its own routed by the host: peera
    /// 172.16.1.2 behind pa, peerb 172.16.2.2 behind pb. The host forwards with strict
    /// reverse-path filtering, as a router between separate networks does.
    static let peers = """
        set -e
        sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1
        for x in a b; do
          n=1; [ $x = b ] && n=2
          ip netns add peer$x
          ip link add p$x type veth peer name eth0 netns peer$x
          ip addr add 172.16.$n.1/24 dev p$x; ip link set p$x up
          ip -n peer$x addr add 172.16.$n.2/24 dev eth0; ip -n peer$x link set eth0 up; ip -n peer$x link set lo up
          ip -n peer$x route add default via 172.16.$n.1
        done
        """

    struct Seen: Sendable {
        var without: (a: Bool, b: Bool), with: (a: Bool, b: Bool), afterDrift: (a: Bool, b: Bool)
        var plan: CommandResult, converged: CommandResult, verify: CommandResult, drift: CommandResult, repair: CommandResult
        var containerRules: String, hostRules: String, destroy: CommandResult, hostRulesAfter: String
    }

    @Test("without sourceRouting the second side's ping fails; with it both sides are answered; rules converge, drift is repaired, destroy removes the host rule")
    func multiHomed() async throws {
        let seen = try await Heavy.run { () throws -> Seen in
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            try sandbox.must(["/bin/sh", "-c", Self.peers])
            func pings() throws -> (a: Bool, b: Bool) {
                (try sandbox.run(["ip", "netns", "exec", "peera", "ping", "-c", "2", "-W", "1", "10.61.0.2"]).status == 0,
                 try sandbox.run(["ip", "netns", "exec", "peerb", "ping", "-c", "2", "-W", "1", "10.62.0.2"]).status == 0)
            }
            let plain = try sandbox.writeManifest(Self.manifest(sourceRouting: false), fileName: "plain.yaml")
            try sandbox.applyOrFail(plain)
            let without = try pings()
            let sbr = try sandbox.writeManifest(Self.manifest(sourceRouting: true), fileName: "sbr.yaml")
            let plan = try sandbox.plumb("plan", sbr)
            try sandbox.applyOrFail(sbr)
            let with = try pings()
            let converged = try sandbox.plumb("plan", sbr, "--detailed-exitcode")
            let verify = try sandbox.plumb("verify", sbr, "--output", "json")
            let containerRules = try sandbox.must(["ip", "-n", "mh", "rule"]).stdout
            let hostRules = try sandbox.must(["ip", "rule"]).stdout
            try sandbox.must(["ip", "-n", "mh", "rule", "del", "from", "10.62.0.2", "lookup", "101"])
            let drift = try sandbox.plumb("plan", sbr, "--detailed-exitcode")
            let repair = try sandbox.plumb("apply", sbr)
            let afterDrift = try pings()
            let destroy = try sandbox.plumb("destroy", sbr)
            let hostRulesAfter = try sandbox.must(["ip", "rule"]).stdout
            return Seen(without: without, with: with, afterDrift: afterDrift, plan: plan, converged: converged, verify: verify,
                        drift: drift, repair: repair, containerRules: containerRules, hostRules: hostRules, destroy: destroy,
                        hostRulesAfter: hostRulesAfter)
        }

        // Without it: the reply to peerb leaves by eth0's default route; the host's rp_filter drops it.
        #expect(seen.without.a && !seen.without.b, "without sourceRouting: peera \(seen.without.a), peerb \(seen.without.b)")
        #expect(seen.with.a && seen.with.b, "with sourceRouting: peera \(seen.with.a), peerb \(seen.with.b)")
        for line in ["+ ip -n mh route add default via 10.62.0.1 dev eth1 metric 200 table 101",
                     "+ ip -n mh route add 10.62.0.0/24 dev eth1 table 101",
                     "+ ip -n mh rule add from 10.62.0.2 lookup 101 proto 126",
                     "+ ip -n mh rule add from 10.61.0.2 lookup 100 proto 126"] {
            #expect(seen.plan.stdout.contains(line), "missing \(line):\n\(seen.plan)")
        }
        #expect(seen.containerRules.contains("from 10.61.0.2 lookup 100 proto 126")
                && seen.containerRules.contains("from 10.62.0.2 lookup 101 proto 126"), "\(seen.containerRules)")
        #expect(seen.hostRules.contains("1000:\tfrom 172.16.9.0/24 lookup 200 proto 126"), "\(seen.hostRules)")
        #expect(seen.converged.status == 0, "\(seen.converged)")
        #expect(seen.verify.status == 0, "\(seen.verify)")
        let rows = try seen.verify.decode(VerifyReport.self).allChecks.filter { $0.check.name == "rules" }.map(\.check)
        #expect(rows.count == 3 && rows.allSatisfy { $0.status == "pass" && $0.family == "ipv4" }, "\(rows)")

        #expect(seen.drift.status == 2 && seen.drift.stdout.contains("+ ip -n mh rule add from 10.62.0.2 lookup 101 proto 126"), "\(seen.drift)")
        #expect(seen.repair.status == 0, "\(seen.repair)")
        #expect(seen.afterDrift.a && seen.afterDrift.b, "after the repair: peera \(seen.afterDrift.a), peerb \(seen.afterDrift.b)")

        #expect(seen.destroy.status == 0, "\(seen.destroy)")
        #expect(!seen.hostRulesAfter.contains("lookup 200"), "\(seen.hostRulesAfter)")
    }

    @Test("plumb watch hears a rule deleted in a container and on the host (rule events) and puts each back")
    func watcherRepairsRules() async throws {
        let (log, rules, hostRules, stopped) = try await Heavy.run { () throws -> (String, String, String, Int32) in
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            let watch = try Watch(sandbox, manifest: Self.manifest(sourceRouting: true).replacingOccurrences(of: "name: sbr", with: "name: watched"))
            defer { watch.stop() }
            try watch.awaitLog("repaired watched", count: 1)
            try sandbox.must(["ip", "-n", "mh", "rule", "del", "from", "10.62.0.2", "lookup", "101"])
            try watch.awaitLog("repaired watched", count: 2, within: .seconds(5))
            try watch.awaitQuiet(for: .seconds(1))
            try sandbox.must(["ip", "rule", "del", "priority", "1000"])
            try watch.awaitLog("repaired watched", count: 3, within: .seconds(5))
            try watch.awaitQuiet(for: .seconds(1))
            let rules = try sandbox.must(["ip", "-n", "mh", "rule"]).stdout, hostRules = try sandbox.must(["ip", "rule"]).stdout
            let stopped = watch.stop()
            _ = try sandbox.plumb("destroy", watch.directory)
            return (watch.log(), rules, hostRules, stopped)
        }
        let repairs = log.split(separator: "\n").filter { $0.contains("repaired watched") }
        #expect(repairs.count >= 3 && repairs[1].contains("ip -n mh rule add from 10.62.0.2 lookup 101 proto 126"), "\(log)")
        #expect(repairs.contains { $0.contains("ip rule add priority 1000 from 172.16.9.0/24 lookup 200 proto 126") }, "\(log)")
        #expect(log.contains("rule lookup 101 deleted"), "\(log)")
        #expect(rules.contains("from 10.62.0.2 lookup 101 proto 126") && hostRules.contains("lookup 200 proto 126"), "\(rules)\n\(hostRules)")
        #expect(stopped == 0)
    }

    @Test("a host rule identical to one Plumb would make but not its own (proto static) is refused with path and line, nothing changed")
    func foreignHostRuleRefused() async throws {
        let (plan, apply, rulesBefore, rulesAfter, netns) = try await Heavy.run { () throws -> (CommandResult, CommandResult, String, String, [String]) in
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            try sandbox.must(["ip", "rule", "add", "priority", "1000", "from", "172.16.9.0/24", "lookup", "200", "proto", "static"])
            let before = try sandbox.must(["ip", "rule"]).stdout
            let manifest = try sandbox.writeManifest(Self.manifest(sourceRouting: true))
            let plan = try sandbox.plumb("plan", manifest)
            let apply = try sandbox.plumb("apply", manifest)
            return (plan, apply, before, try sandbox.must(["ip", "rule"]).stdout, try sandbox.netnsList())
        }
        for r in [plan, apply] {
            #expect(r.status == 1, "\(r)")
            #expect(r.stderr.contains("host.rules[0]") && r.stderr.contains("(line 5)")
                    && r.stderr.contains("priority 1000 from 172.16.9.0/24 lookup 200\" (proto 4), which is not"), "\(r)")
        }
        #expect(rulesAfter == rulesBefore, "the kernel changed:\n\(rulesBefore)\n\(rulesAfter)")
        #expect(netns.isEmpty, "\(netns)")
    }
}
