import Foundation
import Testing

/// Issue 5 "Must show" 3: after a good apply of the three-container bridge manifest, one
/// breakage of web's receive path by hand makes `plumb verify --output json` exit 3 and name
/// the failing check, while db and cache, untouched, still pass.
@Suite("Broken receive path", .timeLimit(.minutes(10)))
struct BrokenPathTests {
    struct Breakage: Sendable, CustomTestStringConvertible {
        var label: String
        /// Shell lines run inside the sandbox after the apply.
        var commands: [String]
        /// (interface, check name) that must be "fail" in web's report.
        var failing: [Check]
        /// (interface, check name) that must still be "pass" in web's report.
        var passing: [Check] = []
        var testDescription: String { label }
    }

    struct Check: Sendable, CustomStringConvertible {
        var interface: String
        var name: String
        var description: String { "\(interface) \(name)" }
    }

    static let breakages: [Breakage] = [
        Breakage(label: "eth0 set down in web",
                 commands: ["ip -n web link set eth0 down"],
                 failing: [Check(interface: "eth0", name: "link-up"), Check(interface: "eth0", name: "probe")],
                 passing: [Check(interface: "eth0", name: "link-present"),
                           Check(interface: "web-eth0", name: "bridge-port")]),
        Breakage(label: "web's address removed",
                 commands: ["ip -n web addr del 10.88.0.2/16 dev eth0"],
                 failing: [Check(interface: "eth0", name: "addresses")],
                 passing: [Check(interface: "eth0", name: "link-up")]),
        // Everything IP from the gateway (ARP still works): a dropped echo reply alone is
        // "ICMP filtered", which the probe passes on TCP evidence (VerifyEvidenceTests).
        Breakage(label: "an nftables rule in web drops every IP packet from the gateway",
                 commands: [
                     "ip netns exec web nft add table inet t",
                     "ip netns exec web nft add chain inet t in '{ type filter hook input priority 0; }'",
                     "ip netns exec web nft add rule inet t in ip saddr 10.88.0.1 drop",
                 ],
                 failing: [Check(interface: "eth0", name: "probe")],
                 passing: [Check(interface: "eth0", name: "link-up"), Check(interface: "eth0", name: "addresses"),
                           Check(interface: "eth0", name: "routes"),
                           Check(interface: "web-eth0", name: "bridge-port")]),
        Breakage(label: "web-eth0 detached from br0",
                 commands: ["ip link set web-eth0 nomaster"],
                 failing: [Check(interface: "web-eth0", name: "bridge-port")],
                 passing: [Check(interface: "eth0", name: "link-up"), Check(interface: "eth0", name: "addresses")]),
    ]

    @Test("verify exits 3 naming the failing check; the other containers still pass", arguments: breakages)
    func breakageIsNamed(breakage: Breakage) throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Manifests.trio)
        try sandbox.applyOrFail(manifest)
        for command in breakage.commands {
            let result = try sandbox.sh(command)
            try #require(result.succeeded, "breaking step failed:\n\(result)")
        }

        let verify = try sandbox.plumb("verify", manifest, "--output", "json")
        #expect(verify.status == 3, "\(verify)")
        let report = try verify.decode(VerifyReport.self)
        #expect(!report.ok)
        let web = try #require(report.containers.first { $0.name == "web" }, "no container web: \(verify.stdout)")
        #expect(!web.ok)
        for wanted in breakage.failing {
            let check = web.checks.first { $0.interface == wanted.interface && $0.name == wanted.name }
            #expect(check?.status == "fail", "\(wanted): \(check.map(\.description) ?? "missing") in \(web.checks)")
            #expect(check.map { $0.observed != $0.expected } ?? false, "\(wanted) fails but observed = expected")
        }
        for wanted in breakage.passing {
            let check = web.checks.first { $0.interface == wanted.interface && $0.name == wanted.name }
            #expect(check?.status == "pass", "\(wanted): \(check.map(\.description) ?? "missing")")
        }
        for other in report.containers where other.name != "web" {
            #expect(other.ok, "\(other.name) failed: \(other.checks.filter { $0.status == "fail" })")
            #expect(other.checks.contains { $0.name == "probe" && $0.status == "pass" }, "\(other.name): \(other.checks)")
        }
        #expect(Set(report.containers.map(\.name)) == ["web", "db", "cache"])
    }
}
