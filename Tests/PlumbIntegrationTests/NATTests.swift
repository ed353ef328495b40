import Foundation
import Testing

/// Issue 4 "Must show": masquerade and port forwards in the manifest's own nftables table,
/// proved with real traffic between the bridge and an "upstream" namespace that has no route
/// back to the bridge subnet; re-apply is a no-op, a rule deleted by hand is drift, a foreign
/// table is never touched, destroy restores ip_forward, bad ports touch nothing.
@Suite("NAT and port forwards", .timeLimit(.minutes(10)))
struct NATTests {
    /// Its table is `inet plumb_nat_itest_HEX`: the name with non-alphanumerics as `_`, then
    /// 16 hex digits of the record id that make it this manifest's alone.
    static let name = "nat-itest"
    static let tablePrefix = "plumb_nat_itest_"

    /// The manifest's table as `nft list tables` shows it after an apply.
    static func table(_ sandbox: Sandbox) throws -> String {
        let names = try sandbox.nftTables().map { $0.replacingOccurrences(of: "inet ", with: "") }
        return try #require(names.first { $0.hasPrefix(tablePrefix) }, "no table \(tablePrefix)… in \(names)")
    }
    static let containerAddress = "10.88.0.2"

    static let manifest = """
        version: 1
        name: nat-itest
        bridges:
          - name: br0
            addresses: [10.88.0.1/16]
            nat: {masquerade: true}
        containers:
          - name: web
            netns: web
            interfaces:
              - {name: eth0, veth: {bridge: br0}, addresses: [10.88.0.2/16]}
            routes:
              - {to: default, via: 10.88.0.1}
            ports:
              - {host: 8080, container: 80, protocol: tcp}
              - {host: 5353, container: 53, protocol: udp}
        """

    // MARK: Real traffic

    @Test("masquerade: web pings 192.0.2.2 in upstream, which has no route back to 10.88.0.0/16")
    func masqueradeCarriesReplies() throws {
        let sandbox = try Sandbox()
        try sandbox.addUpstream()
        try sandbox.applyOrFail(try sandbox.writeManifest(Self.manifest))

        // The reply can only come back if its destination was rewritten to 192.0.2.1.
        let upstreamRoutes = try sandbox.routes(netns: "upstream")
        #expect(!upstreamRoutes.contains { $0.dst == "default" || $0.dst.hasPrefix("10.") },
                "upstream must not know the bridge subnet: \(upstreamRoutes)")
        let routeGet = try sandbox.run(["ip", "-n", "upstream", "route", "get", Self.containerAddress])
        #expect(!routeGet.succeeded, "upstream has a route to \(Self.containerAddress):\n\(routeGet)")

        let ping = try sandbox.ping(from: "web", Upstream.address)
        #expect(ping.succeeded, "\(ping)")

        // What upstream sees: a datagram from web arrives from the sandbox's own 192.0.2.1.
        let nonce = Self.nonce()
        let exchange = try sandbox.exchange(
            server: (netns: "upstream", "udp-server 9999"),
            client: (netns: "web", "udp-client \(Upstream.address) 9999 \(nonce)"))
        #expect(exchange.client.succeeded, "\(exchange.client)\n--- server\n\(exchange.server)")
        #expect(exchange.server.contains("got \(nonce) from \(Upstream.hostAddress):"),
                "upstream did not see the datagram from the masquerade address:\n\(exchange.server)")
    }

    @Test("tcp 8080→80: a server in web answers a client in upstream connecting to 192.0.2.1:8080")
    func tcpPortForward() throws {
        let sandbox = try Sandbox()
        try sandbox.addUpstream()
        try sandbox.applyOrFail(try sandbox.writeManifest(Self.manifest))

        let nonce = Self.nonce()
        let exchange = try sandbox.exchange(
            server: (netns: "web", "tcp-server 80"),
            client: (netns: "upstream", "tcp-client \(Upstream.hostAddress) 8080 \(nonce)"))
        #expect(exchange.client.succeeded, "\(exchange.client)\n--- server\n\(exchange.server)")
        #expect(exchange.client.stdout.contains("answered \(nonce)"), "\(exchange.client)")
        #expect(exchange.server.contains("got \(nonce) from "), "server output:\n\(exchange.server)")
    }

    @Test("udp 5353→53: a datagram from upstream to 192.0.2.1:5353 reaches a socket in web")
    func udpPortForward() throws {
        let sandbox = try Sandbox()
        try sandbox.addUpstream()
        try sandbox.applyOrFail(try sandbox.writeManifest(Self.manifest))

        let nonce = Self.nonce()
        let exchange = try sandbox.exchange(
            server: (netns: "web", "udp-server 53"),
            client: (netns: "upstream", "udp-client \(Upstream.hostAddress) 5353 \(nonce)"))
        #expect(exchange.client.succeeded, "\(exchange.client)\n--- server\n\(exchange.server)")
        #expect(exchange.server.contains("got \(nonce) from "), "server output:\n\(exchange.server)")
        #expect(exchange.client.stdout.contains("answered \(nonce)"), "\(exchange.client)")
    }

    // MARK: Idempotence and drift

    @Test("re-apply is a no-op: the table is byte-for-byte the same (handles too) and plan exits 0")
    func reapplyChangesNothing() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.manifest)
        try sandbox.applyOrFail(manifest)
        let table = try Self.table(sandbox)
        let before = try sandbox.nftTable(table)
        let beforeHandles = try sandbox.nftTable(table, handles: true)
        #expect(before.contains("masquerade"), "no masquerade rule in:\n\(before)")
        #expect(before.contains("dnat ip to 10.88.0.2:80"), "no tcp forward in:\n\(before)")
        #expect(before.contains("dnat ip to 10.88.0.2:53"), "no udp forward in:\n\(before)")

        let again = try sandbox.plumb("apply", manifest)
        #expect(again.status == 0, "\(again)")
        #expect(try sandbox.nftTable(table) == before, "the second apply changed the ruleset")
        #expect(try sandbox.nftTable(table, handles: true) == beforeHandles,
                "the second apply rebuilt the table (its rule handles changed)")
        try sandbox.expectConverged(manifest)
    }

    @Test("a rule deleted by hand: plan exits 2 naming its comment, verify fails nat-rules, apply restores it")
    func deletedRuleIsDriftAndRepaired() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.manifest)
        try sandbox.applyOrFail(manifest)
        let table = try Self.table(sandbox)
        let original = try sandbox.nftTable(table)
        let comment = "containers[0] web port tcp/8080"

        let handle = try #require(try sandbox.nftRuleHandle(table: table, chain: "prerouting", comment: comment),
                                  "no rule \"\(comment)\" in chain prerouting:\n\(original)")
        try sandbox.must(["nft", "delete", "rule", "inet", table, "prerouting", "handle", handle])

        let plan = try sandbox.plumb("plan", manifest, "--detailed-exitcode")
        #expect(plan.status == 2, "\(plan)")
        #expect(plan.stdout.contains("missing rule \"\(comment)\" in chain prerouting"), "\(plan)")
        let verify = try sandbox.plumb("verify", manifest, "--output", "json")
        #expect(verify.status == 3, "\(verify)")
        let natRules = try verify.decode(VerifyReport.self).host?.checks.first { $0.name == "nat-rules" }
        #expect(natRules?.status == "fail", "nat-rules: \(natRules.map(\.description) ?? "missing")")

        let repair = try sandbox.plumb("apply", manifest)
        #expect(repair.status == 0, "\(repair)")
        try sandbox.expectConverged(manifest)
        #expect(try sandbox.nftTable(table) == original, "the repaired table differs from the original")
    }

    // MARK: Ownership

    @Test("a foreign table survives apply and destroy; destroy removes the table and restores ip_forward",
          arguments: ["0", "1"])
    func foreignTableAndIPForward(ipForwardBefore: String) throws {
        let sandbox = try Sandbox()
        try sandbox.must(["sysctl", "-qw", "net.ipv4.ip_forward=\(ipForwardBefore)"])
        try sandbox.must(["nft", "add", "table", "inet", "foreign"])
        try sandbox.must(["nft", "add", "chain", "inet", "foreign", "c", "{ type filter hook input priority 0; }"])
        try sandbox.must(["nft", "add", "rule", "inet", "foreign", "c", "counter"])
        let foreign = try sandbox.nftTable("foreign", family: "inet", countersZeroed: true)
        let manifest = try sandbox.writeManifest(Self.manifest)

        try sandbox.applyOrFail(manifest)
        #expect(try sandbox.ipForward() == "1")
        #expect(try sandbox.nftTables() == ["inet foreign", "inet \(try Self.table(sandbox))"])
        #expect(try sandbox.nftTable("foreign", family: "inet", countersZeroed: true) == foreign,
                "apply changed the foreign table")

        let destroy = try sandbox.plumb("destroy", manifest)
        #expect(destroy.status == 0, "\(destroy)")
        #expect(try sandbox.nftTables() == ["inet foreign"], "destroy left or removed tables")
        #expect(try sandbox.nftTable("foreign", family: "inet", countersZeroed: true) == foreign,
                "destroy changed the foreign table")
        #expect(try sandbox.ipForward() == ipForwardBefore, "ip_forward not restored to \(ipForwardBefore)")
        try sandbox.expectPristine(manifest: Self.name)
    }

    /// the README's NAT section: ip_forward is managed; a manifest's destroy restores it "unless shared".
    /// Two NAT manifests: the first sets ip_forward to 1, the second finds it already 1. Once
    /// the first is destroyed, the second still masquerades, so forwarding must stay on.
    @Test("destroying one of two NAT manifests keeps ip_forward on for the other")
    func ipForwardSharedBetweenManifests() throws {
        let sandbox = try Sandbox()
        try sandbox.addUpstream()
        let first = try sandbox.writeManifest(Self.manifest, fileName: "first.yaml")
        let second = try sandbox.writeManifest(Self.secondManifest, fileName: "second.yaml")
        try sandbox.applyOrFail(first)
        try sandbox.applyOrFail(second)
        let before = try sandbox.ping(from: "api", Upstream.address)
        try #require(before.succeeded, "api cannot reach upstream through masquerade:\n\(before)")

        let destroy = try sandbox.plumb("destroy", first)
        #expect(destroy.status == 0, "\(destroy)")
        #expect(try sandbox.ipForward() == "1", "destroy of \(Self.name) turned ip_forward off under natb:\n\(destroy)")
        try sandbox.expectConverged(second)
        let verify = try sandbox.plumb("verify", second)
        #expect(verify.status == 0, "\(verify)")
        let after = try sandbox.ping(from: "api", Upstream.address)
        #expect(after.succeeded, "api lost its way out:\n\(after)")

        let last = try sandbox.plumb("destroy", second)
        #expect(last.status == 0, "\(last)")
        #expect(try sandbox.ipForward() == "0", "ip_forward not restored once no manifest needs it")
    }

    /// A second masquerading bridge, br1 on 10.89.0.0/16, with one container `api`.
    static let secondManifest = """
        version: 1
        name: natb
        bridges:
          - name: br1
            addresses: [10.89.0.1/16]
            nat: {masquerade: true}
        containers:
          - name: api
            netns: api
            interfaces:
              - {name: eth0, veth: {bridge: br1}, addresses: [10.89.0.2/16]}
            routes:
              - {to: default, via: 10.89.0.1}
        """

    @Test("a failure injected at the nftables step rolls back: no table, no netns, ip_forward 0")
    func faultAtTableStepRollsBack() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.manifest)
        let plan = try sandbox.plumb("plan", manifest, "--output", "json")
        let steps = try plan.decode(PlanReport.self).steps
        let nftStep = try #require(steps.firstIndex { $0.object.hasPrefix("inet \(Self.tablePrefix)") }, "no nft step in \(plan)") + 1
        try #require(nftStep > 1)

        let apply = try sandbox.plumb("apply", manifest, environment: ["PLUMB_FAULT_STEP": "\(nftStep)"])
        #expect(apply.status == 1, "\(apply)")
        #expect(apply.stderr.contains("injected fault"), "\(apply)")
        let ruleset = try sandbox.must(["nft", "list", "ruleset"]).stdout
        #expect(ruleset.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "nftables ruleset:\n\(ruleset)")
        #expect(try sandbox.ipForward() == "0", "ip_forward left on")
        try sandbox.expectPristine(manifest: Self.name)
    }

    // MARK: Invalid ports touch nothing

    struct BadPorts: Sendable, CustomTestStringConvertible {
        var label: String
        var manifest: String
        var path: String
        var words: [String]
        var marker: String
        var testDescription: String { label }
    }

    static let badPorts: [BadPorts] = [
        BadPorts(label: "host port 0",
                 manifest: natManifest(web: "ports: [{host: 0, container: 80, protocol: tcp}]"),
                 path: "containers[0].ports[0].host", words: ["0"], marker: "host: 0"),
        BadPorts(label: "container port 70000",
                 manifest: natManifest(web: "ports: [{host: 8080, container: 70000, protocol: tcp}]"),
                 path: "containers[0].ports[0].container", words: ["70000"], marker: "container: 70000"),
        BadPorts(label: "host port 8080 forwarded twice",
                 manifest: natManifest(web: "ports: [{host: 8080, container: 80, protocol: tcp}]",
                                       db: "ports: [{host: 8080, container: 81, protocol: tcp}]"),
                 path: "containers[1].ports[0].host", words: ["8080"], marker: "container: 81"),
        BadPorts(label: "a port forward to a container with no address",
                 manifest: natManifest(web: "ports: [{host: 8080, container: 80, protocol: tcp}]",
                                       webAddresses: false),
                 path: "containers[0].ports", words: ["web"], marker: "host: 8080"),
    ]

    @Test("invalid port forwards: exit 1 naming path and line; no nftables ruleset, no netns",
          arguments: badPorts)
    func invalidPortsTouchNothing(bad: BadPorts) throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(bad.manifest)
        let line = try #require(Manifests.line(of: bad.marker, in: bad.manifest))

        for command in ["plan", "apply"] {
            let result = try sandbox.plumb(command, manifest)
            #expect(result.status == 1, "\(result)")
            let wanted = [bad.path] + bad.words + ["(line \(line))"]
            #expect(result.stderr.split(separator: "\n").contains { l in wanted.allSatisfy { l.contains($0) } },
                    "no stderr line with \(wanted):\n\(result)")
        }
        let ruleset = try sandbox.must(["nft", "list", "ruleset"]).stdout
        #expect(ruleset.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "nftables ruleset:\n\(ruleset)")
        #expect(try sandbox.ipForward() == "0")
        try sandbox.expectPristine(manifest: "natbad")
    }

    /// Two containers on a masquerading br0; `web`/`db` are each one `ports:` line or nothing.
    static func natManifest(web: String?, db: String? = nil, webAddresses: Bool = true) -> String {
        func container(_ name: String, _ address: String, ports: String?, addressed: Bool) -> String {
            let addresses = addressed ? ", addresses: [\(address)/16]" : ""
            return "  - name: \(name)\n    netns: \(name)\n    interfaces:\n"
                + "      - {name: eth0, veth: {bridge: br0}\(addresses)}\n"
                + (ports.map { "    \($0)\n" } ?? "")
        }
        return """
            version: 1
            name: natbad
            bridges:
              - name: br0
                addresses: [10.88.0.1/16]
                nat: {masquerade: true}
            containers:

            """ + container("web", "10.88.0.2", ports: web, addressed: webAddresses)
            + container("db", "10.88.0.3", ports: db, addressed: true)
    }

    static func nonce() -> String { "n\(UInt32.random(in: 100_000...UInt32.max))" }
}

// MARK: - The upstream network and its traffic

/// The "outside": a veth from the sandbox's own namespace (Plumb's host) to a namespace
/// `upstream`, on 192.0.2.0/24 (TEST-NET-1, documentation only) and with no other route.
enum Upstream {
    static let hostAddress = "192.0.2.1"   // up0, in the sandbox's own namespace
    static let address = "192.0.2.2"       // up1, in netns upstream

    /// One small program for both ends, so a test reads as "server here, client there".
    /// Every socket has a timeout; the servers handle exactly one peer and exit.
    static let program = #"""
        import socket, sys
        mode, args = sys.argv[1], sys.argv[2:]
        def say(text):
            print(text, flush=True)
        if mode == "tcp-server":
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", int(args[0]))); s.listen(1); s.settimeout(10); say("listening")
            c, peer = s.accept(); c.settimeout(5)
            nonce = c.recv(100).decode().strip()
            say("got %s from %s:%d" % (nonce, peer[0], peer[1]))
            c.sendall(("answered %s\n" % nonce).encode()); c.close()
        elif mode == "tcp-client":
            c = socket.create_connection((args[0], int(args[1])), timeout=5)
            c.sendall((args[2] + "\n").encode())
            say(c.recv(100).decode().strip())
        elif mode == "udp-server":
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("0.0.0.0", int(args[0]))); s.settimeout(10); say("listening")
            data, peer = s.recvfrom(100)
            nonce = data.decode().strip()
            say("got %s from %s:%d" % (nonce, peer[0], peer[1]))
            s.sendto(("answered %s" % nonce).encode(), peer)
        elif mode == "udp-client":
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.5)
            for attempt in range(10):
                s.sendto(args[2].encode(), (args[0], int(args[1])))
                try:
                    say(s.recvfrom(100)[0].decode()); break
                except socket.timeout:
                    pass
            else:
                sys.exit("no answer after 10 datagrams")
        """#
}

extension Sandbox {
    /// Creates the upstream network with plain iproute2.
    func addUpstream() throws {
        for line in [
            "ip netns add upstream",
            "ip link add up0 type veth peer name up1 netns upstream",
            "ip addr add \(Upstream.hostAddress)/24 dev up0", "ip link set up0 up",
            "ip -n upstream link set lo up",
            "ip -n upstream addr add \(Upstream.address)/24 dev up1", "ip -n upstream link set up1 up",
        ] {
            try must(line.split(separator: " ").map(String.init))
        }
    }

    /// Starts `server` in the background (`timeout 12`, so it cannot outlive the test), waits
    /// until it listens, runs `client` in the foreground (`timeout 8`), then reaps the server.
    /// Both are modes of `Upstream.program` run by `/usr/bin/python3` in the given netns.
    func exchange(server: (netns: String, String), client: (netns: String, String))
        throws -> (client: CommandResult, server: String)
    {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else {
            throw SubprocessError(description: "/usr/bin/python3 is missing: scripts/install.sh must install python3-minimal")
        }
        let program = scratch.appendingPathComponent("traffic.py").path
        try Upstream.program.write(toFile: program, atomically: true, encoding: .utf8)
        let serverOut = scratch.appendingPathComponent("server-\(UUID().uuidString.prefix(8)).out").path
        let script = """
            timeout 12 ip netns exec \(server.netns) /usr/bin/python3 \(program) \(server.1) >\(serverOut) 2>&1 &
            server=$!
            i=0
            until grep -q listening \(serverOut) || [ $i -ge 100 ]; do sleep 0.05; i=$((i+1)); done
            timeout 8 ip netns exec \(client.netns) /usr/bin/python3 \(program) \(client.1)
            status=$?
            wait $server
            exit $status
            """
        let result = try sh(script, timeout: .seconds(30))
        let serverText = (try? String(contentsOfFile: serverOut, encoding: .utf8)) ?? ""
        return (result, serverText)
    }

    /// `nft list table FAMILY NAME` (`-a`: with rule handles); counters zeroed on request,
    /// since a foreign counter on the input hook counts Plumb's probes.
    func nftTable(_ name: String, family: String = "inet", handles: Bool = false,
                  countersZeroed: Bool = false) throws -> String {
        let text = try must(["nft"] + (handles ? ["-a"] : []) + ["list", "table", family, name]).stdout
        return countersZeroed ? text.replacing(/counter packets \d+ bytes \d+/, with: "counter packets 0 bytes 0") : text
    }

    /// `nft list tables` as "family name", sorted.
    func nftTables() throws -> [String] {
        try must(["nft", "list", "tables"]).stdout.split(separator: "\n")
            .map { String($0.replacing("table ", with: "", maxReplacements: 1)) }.sorted()
    }

    /// The handle of the rule whose comment is `comment`, from `nft -a list chain inet TABLE CHAIN`.
    func nftRuleHandle(table: String, chain: String, comment: String) throws -> String? {
        let listing = try must(["nft", "-a", "list", "chain", "inet", table, chain]).stdout
        let line = listing.split(separator: "\n").first { $0.contains("comment \"\(comment)\"") }
        return line?.firstMatch(of: /# handle (\d+)/).map { String($0.1) }
    }

    /// `sysctl -n net.ipv4.ip_forward` inside the sandbox.
    func ipForward() throws -> String {
        try must(["sysctl", "-n", "net.ipv4.ip_forward"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
