import Foundation
import Testing

/// Issue 15, must-show 1 (IPv6 probe): on a dual-stack bridge, a dual-stack container is probed
/// on both families and an IPv6-only one with ICMPv6 echo (neighbour discovery included); each
/// probe row names its family in JSON and text; the neighbour entries the probes caused are gone
/// afterwards on both sides; a broken IPv6 path fails verify (exit 3) on the IPv6 row while the
/// IPv4 row still passes.
@Suite("Verify: dual-stack probes", .timeLimit(.minutes(10)))   // time waiting in Heavy's queue counts
struct DualStackVerifyTests {
    static let manifest = """
        version: 1
        name: dualv
        bridges:
          - name: brd
            addresses: [10.78.0.1/24, "fd00:78::1/64"]
        containers:
          - name: both
            netns: both
            interfaces:
              - {name: eth0, veth: {bridge: brd}, addresses: [10.78.0.2/24, "fd00:78::2/64"]}
            routes:
              - {to: default, via: 10.78.0.1}
              - {to: default, via: "fd00:78::1"}
          - name: only6
            netns: only6
            interfaces:
              - {name: eth0, veth: {bridge: brd}, addresses: ["fd00:78::3/64"]}
        """

    /// Neighbour entries (`ip neigh`, both families) of the host's bridge and of each container.
    static func neighbours(_ sandbox: Sandbox) throws -> [String] {
        var out = try sandbox.must(["ip", "neigh", "show", "dev", "brd"]).stdout.split(separator: "\n").map { "host \($0)" }
        for n in ["both", "only6"] {
            out += try sandbox.must(["ip", "-n", n, "neigh", "show"]).stdout.split(separator: "\n").map { "\(n) \($0)" }
        }
        return out
    }

    struct Seen: Sendable {
        var healthy: CommandResult, healthyText: CommandResult, neighboursAfter: [String]
        var broken: CommandResult, brokenText: CommandResult
    }

    @Test("both families probed and named; the probes leave no neighbour entry; an IPv6 drop fails only the IPv6 rows, exit 3")
    func dualStack() async throws {
        let seen = try await Heavy.run { () throws -> Seen in
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            let manifest = try sandbox.writeManifest(Self.manifest)
            try sandbox.applyOrFail(manifest)
            let healthy = try sandbox.plumb("verify", manifest, "--output", "json")
            let neighboursAfter = try Self.neighbours(sandbox)
            let healthyText = try sandbox.plumb("verify", manifest)
            // The container's IPv6 stack drops what its gateway sends: echo replies and ND answers.
            for command in ["ip netns exec both nft add table ip6 t",
                            "ip netns exec both nft add chain ip6 t in '{ type filter hook input priority 0; }'",
                            "ip netns exec both nft add rule ip6 t in ip6 saddr fd00:78::1 drop"] {
                try sandbox.must(["/bin/sh", "-c", command])
            }
            let broken = try sandbox.plumb("verify", manifest, "--output", "json")
            let brokenText = try sandbox.plumb("verify", manifest)
            return Seen(healthy: healthy, healthyText: healthyText, neighboursAfter: neighboursAfter,
                        broken: broken, brokenText: brokenText)
        }

        #expect(seen.healthy.status == 0, "\(seen.healthy)")
        let good = try seen.healthy.decode(VerifyReport.self)
        func row(_ r: VerifyReport, _ container: String, _ name: String) -> VerifyReport.Check? {
            r.allChecks.first { $0.owner == container && $0.check.interface == "eth0" && $0.check.name == name }?.check
        }
        for (container, name, family, gateway) in [("both", "probe", "ipv4", "10.78.0.1"), ("both", "probe6", "ipv6", "fd00:78::1"),
                                                   ("only6", "probe6", "ipv6", "fd00:78::1")] {
            let c = row(good, container, name)
            #expect(c?.status == "pass" && c?.family == family && c?.observed?.contains("echo reply from \(gateway)") == true,
                    "\(container) \(name): \(c.map(\.description) ?? "missing")")
            #expect(c?.evidence?.contains(family == "ipv6" ? "nd" : "arp") == true, "\(c.map(\.description) ?? "-")")
        }
        for (container, name, family) in [("both", "path-mtu", "ipv4"), ("both", "path-mtu6", "ipv6"), ("only6", "path-mtu6", "ipv6")] {
            let c = row(good, container, name)
            #expect(c?.status == "pass" && c?.family == family, "\(container) \(name): \(c.map(\.description) ?? "missing")")
        }
        // An IPv6-only interface has no IPv4 row at all (nothing to probe there, nothing skipped).
        #expect(row(good, "only6", "probe") == nil)
        #expect(seen.healthyText.stdout.contains("PASS  eth0 probe6 (IPv6)") && seen.healthyText.stdout.contains("PASS  eth0 probe (IPv4)"),
                "\(seen.healthyText.stdout)")
        // The probes' ARP and ND entries were removed: the bridge's for the containers' addresses,
        // the containers' for their gateway.
        #expect(seen.neighboursAfter.isEmpty, "\(seen.neighboursAfter)")

        #expect(seen.broken.status == 3, "\(seen.broken)")
        let bad = try seen.broken.decode(VerifyReport.self)
        let probe6 = row(bad, "both", "probe6")
        #expect(probe6?.status == "fail" && probe6?.family == "ipv6" && probe6?.observed?.contains("no echo reply from fd00:78::1") == true,
                "\(probe6.map(\.description) ?? "missing")")
        #expect(row(bad, "both", "probe")?.status == "pass", "\(row(bad, "both", "probe").map(\.description) ?? "missing")")
        #expect(row(bad, "only6", "probe6")?.status == "pass", "the other container's IPv6 path is intact")
        #expect(seen.brokenText.status == 3 && seen.brokenText.stdout.contains("FAIL  eth0 probe6 (IPv6)"), "\(seen.brokenText)")
    }
}
