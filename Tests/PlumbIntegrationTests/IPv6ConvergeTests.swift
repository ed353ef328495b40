import Foundation
import Testing

/// Issue 15, must-show 4 (IPv6): an IPv6-only container and a dual-stack one on a bridge
/// with IPv6 addresses — a global gateway and a declared link-local one, `fe80::1` — converge:
/// the kernel stores an IPv6 route asked for with metric 0 as 1024, and Plumb compares it in
/// that form, so the next plan is empty, a second apply changes nothing, verify passes the
/// route and IPv6 probe rows, and destroy leaves nothing.
@Suite("IPv6 default routes converge", .timeLimit(.minutes(10)))   // time waiting in Heavy's queue counts
struct IPv6ConvergeTests {
    static let manifest = """
        version: 1
        name: v6conv
        bridges:
          - name: br6
            addresses: ["fd00:77::1/64", "fe80::1/64", 10.77.0.1/24]
        containers:
          - name: only6
            netns: only6
            interfaces:
              - {name: eth0, veth: {bridge: br6}, addresses: ["fd00:77::2/64"]}
            routes:
              - {to: default, via: "fd00:77::1"}
              - {to: "fd00:99::/64", via: "fe80::1", dev: eth0}
          - name: dual
            netns: dual
            interfaces:
              - {name: eth0, veth: {bridge: br6}, addresses: [10.77.0.3/24, "fd00:77::3/64"]}
            routes:
              - {to: default, via: 10.77.0.1}
              - {to: "::/0", via: "fd00:77::1", metric: 1024}
        """

    /// `ip -n NETNS -6 route` lines without the kernel's own routes (proto kernel, multicast).
    static func routes6(_ sandbox: Sandbox, _ netns: String) throws -> [String] {
        try sandbox.must(["ip", "-n", netns, "-6", "route", "show"]).stdout.split(separator: "\n").map(String.init)
            .filter { !$0.contains("proto kernel") }.map { $0.replacingOccurrences(of: " pref medium", with: "") }
    }

    /// What a second apply could change: addresses and routes of both namespaces and the bridge.
    static func state(_ sandbox: Sandbox) throws -> [String] {
        var out = try sandbox.must(["ip", "-6", "addr", "show", "dev", "br6"]).stdout.split(separator: "\n").map(String.init)
        for n in ["only6", "dual"] {
            out += try sandbox.must(["ip", "-n", n, "addr"]).stdout.split(separator: "\n").map { "\(n) \($0)" }
            out += try sandbox.must(["ip", "-n", n, "-4", "route"]).stdout.split(separator: "\n").map { "\(n) \($0)" }
            out += try routes6(sandbox, n).map { "\(n) \($0)" }
        }
        // Lifetimes count down; DAD state is not what an apply changes.
        return out.filter { !$0.contains("valid_lft") }.map { $0.replacingOccurrences(of: " tentative", with: "") }
    }

    @Test("apply, then plan exits 0, a second apply changes nothing, verify passes the IPv6 rows, destroy leaves nothing")
    func converges() async throws {
        try await Heavy.run {
            let sandbox = try Sandbox()
            let manifest = try sandbox.writeManifest(Self.manifest)
            try sandbox.applyOrFail(manifest)

            // The kernel's form: metric 1024, as `ip -6 route` prints it.
            let only6 = try Self.routes6(sandbox, "only6"), dual = try Self.routes6(sandbox, "dual")
            #expect(only6.contains("default via fd00:77::1 dev eth0 metric 1024"), "\(only6)")
            #expect(only6.contains("fd00:99::/64 via fe80::1 dev eth0 metric 1024"), "\(only6)")
            #expect(dual.contains("default via fd00:77::1 dev eth0 metric 1024"), "\(dual)")
            // IPv6 stays on where the manifest uses it; a bridge port's host end is layer 2 only.
            #expect(try sandbox.must(["ip", "netns", "exec", "only6", "cat", "/proc/sys/net/ipv6/conf/eth0/disable_ipv6"]).stdout == "0\n")
            #expect(try sandbox.must(["cat", "/proc/sys/net/ipv6/conf/only6-eth0/disable_ipv6"]).stdout == "1\n")
            // apply verified: the container's addresses have left duplicate address detection.
            #expect(try sandbox.must(["ip", "-n", "only6", "-6", "addr", "show", "dev", "eth0", "scope", "global", "tentative"]).stdout.isEmpty)

            try sandbox.expectConverged(manifest)
            let before = try Self.state(sandbox)
            let again = try sandbox.plumb("apply", manifest)
            #expect(again.status == 0 && again.stdout.contains("No changes"), "\(again)")
            #expect(try Self.state(sandbox) == before, "the second apply changed the kernel")

            let verify = try sandbox.plumb("verify", manifest, "--output", "json")
            #expect(verify.status == 0, "\(verify)")
            let report = try verify.decode(VerifyReport.self)
            let rows = report.containers.flatMap { c in c.checks.map { (c.name, $0) } }
            for (container, route) in [("only6", "default via fd00:77::1 dev eth0 metric 1024"),
                                       ("only6", "fd00:99::/64 via fe80::1 dev eth0 metric 1024"),
                                       ("dual", "default via fd00:77::1 dev eth0 metric 1024"),
                                       ("dual", "default via 10.77.0.1 dev eth0")] {
                let row = rows.first { $0.0 == container && $0.1.name == "routes" && $0.1.observed == route }
                #expect(row?.1.status == "pass", "\(container): no passing routes row \"\(route)\" in \(rows.filter { $0.1.name == "routes" }.map(\.1))")
            }
            for container in ["only6", "dual"] {
                let probe6 = rows.first { $0.0 == container && $0.1.name == "probe6" }?.1
                #expect(probe6?.status == "pass" && probe6?.observed?.contains("echo reply from fd00:77::1") == true,
                        "\(container): \(probe6.map(\.description) ?? "no probe6 row")")
            }
            let bridge = report.host?.checks.first { $0.name == "addresses" && $0.interface == "br6" }
            #expect(bridge?.status == "pass", "\(bridge.map(\.description) ?? "no br6 addresses row")")

            let destroy = try sandbox.plumb("destroy", manifest)
            #expect(destroy.status == 0, "\(destroy)")
            try sandbox.expectPristine(manifest: "v6conv")
        }
    }
}
