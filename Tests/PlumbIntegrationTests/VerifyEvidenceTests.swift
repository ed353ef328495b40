import Foundation
import Testing

/// Issue "verification you can trust", must-show 1 (the receive-path cases): each path broken
/// by hand in the sandbox — a fault every earlier verify passed — makes `plumb verify` exit 3
/// and name the cause; a host that ignores or filters ICMP echo passes, on stated evidence,
/// and so does a CNI ADD there.
@Suite("Verify: the probe proves the path", .timeLimit(.minutes(10)))
struct VerifyEvidenceTests {
    /// `plumb verify --output json`, decoded.
    static func verify(_ sandbox: Sandbox, _ manifest: String) throws -> (CommandResult, VerifyReport) {
        let result = try sandbox.plumb("verify", manifest, "--output", "json")
        return (result, try result.decode(VerifyReport.self))
    }

    static func check(_ r: VerifyReport, _ owner: String, _ interface: String?, _ name: String) -> VerifyReport.Check? {
        r.allChecks.first { $0.owner == owner && $0.check.interface == interface && $0.check.name == name }?.check
    }

    /// The trio applied, `breaking` run, then verify: exit 3 and web's (or the host's) named checks failing
    /// with `words` in what they observed.
    func expectNamed(_ breaking: [String], failing: [(owner: String, interface: String?, name: String, words: [String])],
                     setup: ((Sandbox) throws -> Void)? = nil,
                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Manifests.trio)
        try sandbox.applyOrFail(manifest, sourceLocation: sourceLocation)
        let (healthy, _) = try Self.verify(sandbox, manifest)
        try #require(healthy.status == 0, "the healthy trio fails verify:\n\(healthy)", sourceLocation: sourceLocation)
        try setup?(sandbox)
        for command in breaking {
            let r = try sandbox.sh(command)
            try #require(r.succeeded, "breaking step failed:\n\(r)", sourceLocation: sourceLocation)
        }
        let (result, report) = try Self.verify(sandbox, manifest)
        #expect(result.status == 3, "\(result)", sourceLocation: sourceLocation)
        for f in failing {
            let c = Self.check(report, f.owner, f.interface, f.name)
            #expect(c?.status == "fail", "\(f.owner) \(f.interface ?? "-") \(f.name): \(c.map(\.description) ?? "missing")",
                    sourceLocation: sourceLocation)
            for w in f.words {
                #expect(c?.observed?.contains(w) == true, "\(f.name) does not name \"\(w)\": \(c.map(\.description) ?? "missing")",
                        sourceLocation: sourceLocation)
            }
        }
    }

    /// ARP is exercised per container, not only per bridge: the bridge's request to each
    /// later container and its answer cross that container's port, so a port that drops ARP fails.
    @Test("a bridge filter dropping ARP from db's port: db's probe fails (its answer to the bridge never arrives), web and cache pass")
    func arpDroppedOnOnePort() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Manifests.trio)
        try sandbox.applyOrFail(manifest)
        for command in ["nft add table bridge arpf",
                        "nft add chain bridge arpf in '{ type filter hook input priority 0; }'",
                        "nft add chain bridge arpf fw '{ type filter hook forward priority 0; }'",
                        "nft add rule bridge arpf in iifname db-eth0 ether type arp drop",
                        "nft add rule bridge arpf fw iifname db-eth0 ether type arp drop"] {
            try sandbox.must(["/bin/sh", "-c", command])
        }
        let (result, report) = try Self.verify(sandbox, manifest)
        #expect(result.status == 3, "\(result)")
        #expect(Self.check(report, "db", "eth0", "probe")?.status == "fail",
                "\(Self.check(report, "db", "eth0", "probe").map(\.description) ?? "missing")")
        for c in ["web", "cache"] {
            #expect(Self.check(report, c, "eth0", "probe")?.status == "pass",
                    "\(c): \(Self.check(report, c, "eth0", "probe").map(\.description) ?? "missing")")
        }
    }

    @Test("the host end of web's veth at MTU 1000: port-mtu names web-eth0, a 1500-byte echo with DF gets no reply")
    func hostEndMTU() throws {
        try expectNamed(["ip link set web-eth0 mtu 1000"], failing: [
            ("web", "web-eth0", "port-mtu", ["web-eth0 1000", "eth0 1500", "die at web-eth0"]),
            ("web", "eth0", "path-mtu", ["1500-byte echo", "web-eth0 has MTU 1000"]),
        ])
    }

    @Test("br0 at MTU 9000 over 1500-byte ports: bridge-mtu and port-mtu name the bridge and the port")
    func bridgeAbovePort() throws {
        try expectNamed(["ip link set br0 mtu 9000"], failing: [
            ("host", "br0", "bridge-mtu", ["MTU 9000", "web-eth0 1500"]),
            ("web", "web-eth0", "port-mtu", ["br0 sends frames up to 9000", "vanish"]),
        ])
    }

    @Test("a rogue namespace holding 10.88.0.1 answers web's echo: the probe fails, naming the rogue MAC and br0's")
    func rogueGateway() throws {
        let rogueMAC = "02:00:00:0b:ad:01"
        try expectNamed([
            "ip netns add rogue",
            "ip link add rogue0 type veth peer name rogue1 netns rogue",
            "ip link set rogue0 master br0 up",
            "ip -n rogue link set rogue1 address \(rogueMAC) up",
            "ip -n rogue addr add 10.88.0.1/16 dev rogue1",
            // The rogue answers no ARP (so db and cache keep the real gateway); web was
            // made to resolve the gateway to it, as an ARP spoof leaves a neighbour table.
            "ip netns exec rogue sysctl -qw net.ipv4.conf.all.arp_ignore=8",
            "ip -n web neigh replace 10.88.0.1 lladdr \(rogueMAC) dev eth0 nud permanent",
        ], failing: [("web", "eth0", "probe", [rogueMAC, "not br0's MAC", "another station answers for the gateway"])])
    }

    @Test("an IPv6-only interface is probed: probe6 passes on echo and ND, and fails when the gateway's packets are dropped")
    func ipv6Only() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest("""
            version: 1
            name: six
            bridges:
              - {name: br6, addresses: ["fd00:88::1/64"]}
            containers:
              - name: web
                netns: web
                interfaces:
                  - {name: eth0, veth: {bridge: br6}, addresses: ["fd00:88::2/64"]}
                routes:
                  - {to: default, via: "fd00:88::1"}
            """)
        try sandbox.applyOrFail(manifest)
        let (healthy, good) = try Self.verify(sandbox, manifest)
        #expect(healthy.status == 0, "\(healthy)")
        let probe = Self.check(good, "web", "eth0", "probe6")
        #expect(probe?.status == "pass", "\(probe.map(\.description) ?? "no probe6 in \(good.allChecks.map(\.check))")")
        #expect(probe?.evidence?.contains("icmp-echo") == true && probe?.evidence?.contains("nd") == true,
                "\(probe.map(\.description) ?? "-")")
        #expect(Self.check(good, "web", "eth0", "probe")?.status != "skip", "an IPv6-only interface is skipped")

        for command in ["ip netns exec web nft add table ip6 t",
                        "ip netns exec web nft add chain ip6 t in '{ type filter hook input priority 0; }'",
                        "ip netns exec web nft add rule ip6 t in ip6 saddr fd00:88::1 drop"] {
            try sandbox.must(["/bin/sh", "-c", command])
        }
        let (broken, bad) = try Self.verify(sandbox, manifest)
        #expect(broken.status == 3, "\(broken)")
        let failed = Self.check(bad, "web", "eth0", "probe6")
        #expect(failed?.status == "fail", "\(failed.map(\.description) ?? "missing")")
        #expect(failed?.observed?.contains("no echo reply from fd00:88::1") == true, "\(failed.map(\.description) ?? "-")")
    }

    /// Both ways a host stops answering echo; TCP to the gateway still works.
    static let echoFilters: [(label: String, commands: [String])] = [
        ("net.ipv4.icmp_echo_ignore_all=1", ["sysctl -qw net.ipv4.icmp_echo_ignore_all=1"]),
        ("nft input drop of echo-request", ["nft add table inet hostfw",
                                            "nft add chain inet hostfw input '{ type filter hook input priority 0; }'",
                                            "nft add rule inet hostfw input icmp type echo-request drop"]),
    ]

    @Test("a host that ignores or filters ICMP echo: apply and verify pass on ARP + TCP evidence, saying so",
          arguments: echoFilters.map(\.label))
    func echoIgnored(label: String) throws {
        let sandbox = try Sandbox()
        for command in Self.echoFilters.first(where: { $0.label == label })!.commands {
            try sandbox.must(["/bin/sh", "-c", command])
        }
        let manifest = try sandbox.writeManifest(Manifests.trio)
        try sandbox.applyOrFail(manifest)
        let (result, report) = try Self.verify(sandbox, manifest)
        #expect(result.status == 0, "\(result)")
        for c in ["web", "db", "cache"] {
            let probe = Self.check(report, c, "eth0", "probe")
            #expect(probe?.status == "pass", "\(c): \(probe.map(\.description) ?? "missing")")
            // Broadcast ARP from the bridge's first container; the bridge asks the others.
            let arp = c == "web" ? "arp" : "arp-from-bridge"
            #expect(probe?.evidence == [arp, "tcp-nonce", "rx-counters"], "\(c): \(probe.map(\.description) ?? "-")")
            #expect(probe?.observed?.contains("no echo reply") == true, "\(c): \(probe.map(\.description) ?? "-")")
            #expect(Self.check(report, c, "eth0", "path-mtu")?.evidence == ["tcp-mtu"])
        }
        // The gateway really ignores echo here: the fallback is not hiding a broken path.
        let direct = try sandbox.run(["ip", "netns", "exec", "web", "ping", "-c1", "-W1", "10.88.0.1"])
        #expect(!direct.succeeded, "the host answers echo; the test sets nothing up:\n\(direct)")
    }

    @Test("CNI ADD on a host with icmp_echo_ignore_all=1 succeeds (it verifies on TCP evidence)")
    func cniAddWithoutEcho() throws {
        let sandbox = try Sandbox()
        try sandbox.coverHostCgroupsAndCNICache()
        try sandbox.must(["sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1"])
        try sandbox.must(["ip", "netns", "add", "a"])
        let add = try sandbox.cni(try CNIPlugin.plumb(), "ADD", config: CNIPluginTests.plumbConfig(),
                                  containerID: "ctr-a", netns: "/run/netns/a")
        #expect(add.succeeded, "\(add)")
        #expect(try sandbox.links(master: "cni-br0").count == 1, "ADD was rolled back")
    }
}
