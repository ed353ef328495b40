import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 15, must-show 1 (an IPv6 port forward answers): a dual-stack container's published
/// port is forwarded on both families in the owner's one `inet` table. A real server in the
/// container (listening on `::`, both families) answers a client on the host side at the
/// bridge's IPv6 address; verify's forward check, from its outside network, passes on IPv6 with
/// the server's handshake and conntrack, and the masquerade on both; dropping IPv6 in the
/// container fails only the IPv6 rows (exit 3). A container with IPv4 only is said to be.
@Suite("NAT: IPv6 port forwards and masquerade", .timeLimit(.minutes(10)))   // time waiting in Heavy's queue counts
struct IPv6ForwardTests {
    static let manifest = """
        version: 1
        name: fwd6
        bridges:
          - name: br0
            addresses: [10.89.0.1/16, "fd00:89::1/64"]
            nat: {masquerade: true}
        containers:
          - name: web
            netns: web
            interfaces:
              - {name: eth0, veth: {bridge: br0}, addresses: [10.89.0.2/16, "fd00:89::2/64"]}
            routes:
              - {to: default, via: 10.89.0.1}
              - {to: default, via: "fd00:89::1"}
            ports:
              - {host: 8080, container: 80, protocol: tcp}
          - name: db
            netns: db
            interfaces:
              - {name: eth0, veth: {bridge: br0}, addresses: [10.89.0.3/16]}
            routes:
              - {to: default, via: 10.89.0.1}
            ports:
              - {host: 5432, container: 5432, protocol: tcp}
        """

    /// A TCP server on `[::]:PORT` (IPv4 too, as mapped addresses) that greets each client
    /// with its peer's address and closes; it cannot outlive the test (alarm).
    static let server = #"""
        import signal, socket, sys
        signal.alarm(300)   # it cannot outlive the test; long enough for the slowest run on a loaded machine
        s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", int(sys.argv[1]))); s.listen(16)
        print("listening", flush=True)
        while True:
            c, peer = s.accept(); c.sendall(("hello " + peer[0] + "\n").encode()); c.close()
        """#

    /// A client in the sandbox's host namespace: what `HOST:PORT` answers.
    static let client = #"""
        import socket, sys
        c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
        print(c.recv(100).decode().strip())
        """#

    struct Seen: Sendable {
        var plan: CommandResult, answer6: CommandResult, answer4: CommandResult
        var healthy: CommandResult, broken: CommandResult, destroy: CommandResult, leftover: [String]
    }

    @Test("the forward answers on the host's IPv6 address; verify passes both families on the server's handshake; an IPv6 drop fails the IPv6 row only")
    func forwardsBothFamilies() async throws {
        let seen = try await Heavy.run { () throws -> Seen in
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            let manifest = try sandbox.writeManifest(Self.manifest)
            let plan = try sandbox.plumb("plan", manifest)
            try sandbox.applyOrFail(manifest)
            let serverPath = sandbox.scratch.appendingPathComponent("server6.py").path
            let clientPath = sandbox.scratch.appendingPathComponent("client6.py").path
            try Self.server.write(toFile: serverPath, atomically: true, encoding: .utf8)
            try Self.client.write(toFile: clientPath, atomically: true, encoding: .utf8)
            let out = sandbox.scratch.appendingPathComponent("server6.out").path
            let started = try sandbox.sh("""
                ip netns exec web /usr/bin/python3 \(serverPath) 80 >\(out) 2>&1 &
                echo $!
                i=0; until grep -q listening \(out) || [ $i -ge 100 ]; do sleep 0.05; i=$((i+1)); done
                grep -q listening \(out) || { cat \(out) >&2; exit 1; }
                """)
            try #require(started.succeeded, "server did not start:\n\(started)")
            let pid = try #require(Int32(started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
            defer { kill(pid, SIGKILL) }
            // The host's own connections go through the output chain's DNAT, as any local client's.
            let answer6 = try sandbox.run(["/usr/bin/python3", clientPath, "fd00:89::1", "8080"])
            let answer4 = try sandbox.run(["/usr/bin/python3", clientPath, "10.89.0.1", "8080"])
            let healthy = try sandbox.plumb("verify", manifest, "--output", "json")
            for command in ["ip netns exec web nft add table ip6 t",
                            "ip netns exec web nft add chain ip6 t in '{ type filter hook input priority 0; }'",
                            "ip netns exec web nft add rule ip6 t in tcp dport 80 drop"] {
                try sandbox.must(["/bin/sh", "-c", command])
            }
            let broken = try sandbox.plumb("verify", manifest, "--output", "json")
            kill(pid, SIGKILL)
            let destroy = try sandbox.plumb("destroy", manifest)
            let leftover = try sandbox.must(["nft", "list", "ruleset"]).stdout.split(separator: "\n").map(String.init)
                .filter { $0.contains("plumb_") }
            return Seen(plan: plan, answer6: answer6, answer4: answer4, healthy: healthy, broken: broken, destroy: destroy,
                        leftover: leftover)
        }

        #expect(seen.plan.stdout.contains("note: db's forwards (tcp/5432) answer on IPv4 only: db has no global IPv6 address on a bridge"),
                "\(seen.plan)")
        // The server saw the host's connection arrive over IPv6 (from the bridge's address) and over IPv4.
        #expect(seen.answer6.status == 0 && seen.answer6.stdout == "hello fd00:89::1\n", "\(seen.answer6)")
        #expect(seen.answer4.status == 0 && seen.answer4.stdout.hasPrefix("hello "), "\(seen.answer4)")

        #expect(seen.healthy.status == 0, "\(seen.healthy)")
        let good = try seen.healthy.decode(VerifyReport.self)
        func rows(_ r: VerifyReport, _ container: String, _ name: String) -> [VerifyReport.Check] {
            r.allChecks.filter { $0.owner == container && $0.check.name == name }.map(\.check)
        }
        let forwards = rows(good, "web", "port-forward")
        #expect(forwards.map { $0.family ?? "-" } == ["ipv4", "ipv6"], "\(forwards)")
        for f in forwards {
            #expect(f.status == "pass" && f.evidence == ["outside", "tcp-handshake", "conntrack"], "\(f)")
        }
        #expect(forwards.last?.observed?.contains("a server already on [fd00:89::2]:80 answered the handshake") == true
                && forwards.last?.observed?.contains("conntrack: DNAT to [fd00:89::2]:80") == true, "\(forwards)")
        let masquerade = rows(good, "web", "masquerade")
        #expect(masquerade.map { "\($0.family ?? "-") \($0.status)" } == ["ipv4 pass", "ipv6 pass"], "\(masquerade)")
        let db = rows(good, "db", "port-forward")
        #expect(db.map { "\($0.family ?? "-") \($0.status)" } == ["ipv4 pass", "ipv6 skip"], "\(db)")
        #expect(db.last?.observed?.contains("not forwarded on IPv6: db has no global IPv6 address on a bridge") == true, "\(db)")

        #expect(seen.broken.status == 3, "\(seen.broken)")
        let bad = rows(try seen.broken.decode(VerifyReport.self), "web", "port-forward")
        #expect(bad.map { "\($0.family ?? "-") \($0.status)" } == ["ipv4 pass", "ipv6 fail"], "\(bad)")
        #expect(bad.last?.observed?.contains("no answer to the TCP handshake") == true, "\(bad)")

        #expect(seen.destroy.status == 0, "\(seen.destroy)")
        #expect(seen.leftover.isEmpty, "\(seen.leftover)")
    }
}
