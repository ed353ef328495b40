import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue "verification you can trust", must-shows 1 (forwarding cases) and 2: verify sends
/// traffic from an outside namespace of its own through the host's real NAT and forward
/// hooks, and conntrack must name the container; another table's drop or DNAT is a FAIL
/// that names the table, chain and rule handle; real servers on the container ports are
/// no problem; nothing of the outside is left afterwards.
@Suite("Verify: forwarding through the host's real path", .timeLimit(.minutes(10)))
struct ForwardVerifyTests {
    static let manifest = """
        version: 1
        name: fwd
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
          - name: db
            netns: db
            interfaces:
              - {name: eth0, veth: {bridge: br0}, addresses: [10.88.0.3/16]}
            routes:
              - {to: default, via: 10.88.0.1}
        """

    /// Servers that keep serving (TCP: accept and close; UDP: read and answer) for 20 s.
    static let server = #"""
        import signal, socket, sys
        signal.alarm(300)   # it cannot outlive the test, whatever happens to it; long enough for a loaded machine
        proto, port = sys.argv[1], int(sys.argv[2])
        if proto == "tcp":
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", port)); s.listen(16)
            print("listening", flush=True)
            while True:
                c, _ = s.accept(); c.close()
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", port))
            print("listening", flush=True)
            while True:
                data, peer = s.recvfrom(2048); s.sendto(b"ok", peer)
        """#

    /// Starts `server` in `netns` (it ends itself after 20 s) and returns its pid once it
    /// listens; the test kills exactly that pid. `ip netns exec` execs the program, so `$!` is
    /// the server itself (a `timeout` wrapper's pid, killed with SIGKILL, orphaned the server).
    static func serve(_ sandbox: Sandbox, netns: String, _ proto: String, _ port: Int) throws -> Int32 {
        let program = sandbox.scratch.appendingPathComponent("server.py").path
        try server.write(toFile: program, atomically: true, encoding: .utf8)
        let out = sandbox.scratch.appendingPathComponent("server-\(netns)-\(proto)-\(port).out").path
        let started = try sandbox.sh("""
            ip netns exec \(netns) /usr/bin/python3 \(program) \(proto) \(port) >\(out) 2>&1 &
            echo $!
            i=0; until grep -q listening \(out) || [ $i -ge 100 ]; do sleep 0.05; i=$((i+1)); done
            grep -q listening \(out)
            """)
        try #require(started.succeeded, "server did not start:\n\(started)")
        return try #require(Int32(started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    static func verify(_ sandbox: Sandbox, _ manifest: String) throws -> (CommandResult, VerifyReport) {
        let r = try sandbox.plumb("verify", manifest, "--output", "json")
        return (r, try r.decode(VerifyReport.self))
    }

    static func forward(_ report: VerifyReport, _ port: String) -> VerifyReport.Check? {
        report.containers.first { $0.name == "web" }?.checks.first { $0.name == "port-forward" && $0.interface == port }
    }

    /// No link of the outside network is left in the host namespace (verify releases the
    /// namespace at its end; the kernel's asynchronous netns cleanup removes its veth).
    static func expectNoOutside(_ sandbox: Sandbox, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var left: [String] = []
        let gone = try eventually { left = try sandbox.links().filter { $0.hasPrefix("plumbv") }; return left.isEmpty }
        #expect(gone, "outside links left: \(left)", sourceLocation: sourceLocation)
        let routes = try sandbox.routes().filter { $0.dst.hasPrefix("198.18.") || $0.dst.hasPrefix("198.19.") }
        #expect(routes.isEmpty, "outside routes left: \(routes)", sourceLocation: sourceLocation)
    }

    @Test("healthy: both forwards and masquerade pass from the outside, on conntrack evidence; nothing is left")
    func healthy() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.manifest)
        try sandbox.applyOrFail(manifest)
        let (result, report) = try Self.verify(sandbox, manifest)
        #expect(result.status == 0, "\(result)")
        for port in ["tcp/8080", "udp/5353"] {
            let c = Self.forward(report, port)
            #expect(c?.status == "pass", "\(port): \(c.map(\.description) ?? "missing")")
            #expect(c?.evidence?.contains("outside") == true && c?.evidence?.contains("conntrack") == true, "\(c.map(\.description) ?? "-")")
            #expect(c?.observed?.contains("DNAT to 10.88.0.2:") == true, "\(c.map(\.description) ?? "-")")
        }
        for name in ["web", "db"] {
            let m = report.containers.first { $0.name == name }?.checks.first { $0.name == "masquerade" }
            #expect(m?.status == "pass", "\(name): \(m.map(\.description) ?? "missing")")
        }
        try Self.expectNoOutside(sandbox)
    }

    @Test("another table's forward chain drops web's traffic: verify exits 3 naming table, chain and handle")
    func forwardDrop() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.manifest)
        try sandbox.applyOrFail(manifest)
        for line in ["nft add table inet hostfw",
                     "nft add chain inet hostfw forward '{ type filter hook forward priority 0; policy accept; }'",
                     "nft add rule inet hostfw forward ip daddr 10.88.0.2 drop"] {
            try sandbox.must(["/bin/sh", "-c", line])
        }
        let handle = try #require(try sandbox.must(["nft", "-a", "list", "chain", "inet", "hostfw", "forward"]).stdout
            .firstMatch(of: /drop # handle (\d+)/).map { String($0.1) })
        let (result, report) = try Self.verify(sandbox, manifest)
        #expect(result.status == 3, "\(result)")
        for port in ["tcp/8080", "udp/5353"] {
            let c = Self.forward(report, port)
            #expect(c?.status == "fail", "\(port): \(c.map(\.description) ?? "missing")")
            #expect(c?.observed?.contains("table inet hostfw chain forward handle \(handle): ip daddr 10.88.0.2 drop") == true,
                    "\(port) does not name the rule: \(c.map(\.description) ?? "-")")
        }
        try Self.expectNoOutside(sandbox)
    }

    @Test("another table DNATs the published port elsewhere in prerouting: verify exits 3 naming the rule")
    func foreignDNAT() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.manifest)
        try sandbox.applyOrFail(manifest)
        for line in ["nft add table ip foreign",
                     "nft add chain ip foreign pre '{ type nat hook prerouting priority -150; }'",
                     "nft add rule ip foreign pre tcp dport 8080 dnat to 10.99.9.9:80"] {
            try sandbox.must(["/bin/sh", "-c", line])
        }
        let (result, report) = try Self.verify(sandbox, manifest)
        #expect(result.status == 3, "\(result)")
        let c = Self.forward(report, "tcp/8080")
        #expect(c?.status == "fail", "\(c.map(\.description) ?? "missing")")
        #expect(c?.observed?.contains("table ip foreign chain pre handle") == true && c?.observed?.contains("dnat to 10.99.9.9:80") == true,
                "\(c.map(\.description) ?? "-")")
        #expect(Self.forward(report, "udp/5353")?.status == "pass", "the UDP forward is not touched")
    }

    @Test("real servers own web's ports: both forwards pass (conntrack names web); DNAT to db's servers fails naming db")
    func realServers() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.manifest)
        try sandbox.applyOrFail(manifest)
        var pids: [Int32] = []
        defer { for pid in pids { kill(pid, SIGKILL) } }
        for netns in ["web", "db"] {
            pids.append(try Self.serve(sandbox, netns: netns, "tcp", 80))
            pids.append(try Self.serve(sandbox, netns: netns, "udp", 53))
        }
        let (served, good) = try Self.verify(sandbox, manifest)
        #expect(served.status == 0, "\(served)")
        let tcp = Self.forward(good, "tcp/8080"), udp = Self.forward(good, "udp/5353")
        #expect(tcp?.status == "pass" && tcp?.evidence == ["outside", "tcp-handshake", "conntrack"], "\(tcp.map(\.description) ?? "-")")
        #expect(udp?.status == "pass" && udp?.evidence == ["outside", "link-arrival", "udp-answer", "conntrack"], "\(udp.map(\.description) ?? "-")")

        for line in ["nft add table ip foreign",
                     "nft add chain ip foreign pre '{ type nat hook prerouting priority -150; }'",
                     "nft add rule ip foreign pre tcp dport 8080 dnat to 10.88.0.3:80",
                     "nft add rule ip foreign pre udp dport 5353 dnat to 10.88.0.3:53"] {
            try sandbox.must(["/bin/sh", "-c", line])
        }
        let (elsewhere, bad) = try Self.verify(sandbox, manifest)
        #expect(elsewhere.status == 3, "\(elsewhere)")
        for (port, target) in [("tcp/8080", "10.88.0.3:80"), ("udp/5353", "10.88.0.3:53")] {
            let c = Self.forward(bad, port)
            #expect(c?.status == "fail", "\(port): \(c.map(\.description) ?? "missing")")
            #expect(c?.observed?.contains("went to \(target) (container db), not web's") == true, "\(c.map(\.description) ?? "-")")
            #expect(c?.observed?.contains("table ip foreign chain pre handle") == true, "\(c.map(\.description) ?? "-")")
        }
    }
}
