import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 15, must-show 4 (forwards): a port-forward check verifies the real path, not that
/// the container port is free. With real servers (python3) on the container ports, TCP and
/// UDP forwards pass — on the server's answer, or, for a UDP server that stays silent, on
/// the datagram seen arriving on the container's link and received by its UDP layer — and
/// they fail, naming the forward, when the path is broken: a foreign nft drop, or the
/// container's address removed. With no server at all, Plumb's own socket takes the nonce.
@Suite("Verify: port forwards while real servers own the container ports", .timeLimit(.minutes(10)))   // time waiting in Heavy's queue counts
struct ForwardServerTests {
    static let manifest = """
        version: 1
        name: fwdsrv
        bridges:
          - name: br0
            addresses: [10.88.0.1/16]
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

    /// A server that keeps serving for 30 s: `tcp` accepts and closes; `udp-echo` answers each
    /// datagram; `udp-silent` reads and never answers. Bound to ADDRESS (0.0.0.0: all).
    static let server = #"""
        import signal, socket, sys
        signal.alarm(300)   # it cannot outlive the test, whatever happens to it; long enough for a loaded machine
        mode, address, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
        if mode == "tcp":
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((address, port)); s.listen(16)
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((address, port))
        print("listening", flush=True)
        while True:
            if mode == "tcp":
                c, _ = s.accept(); c.close()
            else:
                data, peer = s.recvfrom(2048)
                if mode == "udp-echo": s.sendto(b"ok", peer)
        """#

    /// Starts `server` in netns web and returns its pid once it listens; the test kills exactly that pid.
    static func serve(_ sandbox: Sandbox, _ mode: String, _ port: Int, address: String = "0.0.0.0") throws -> Int32 {
        let program = sandbox.scratch.appendingPathComponent("fwd-server.py").path
        try server.write(toFile: program, atomically: true, encoding: .utf8)
        let out = sandbox.scratch.appendingPathComponent("server-\(mode)-\(port).out").path
        let started = try sandbox.sh("""
            ip netns exec web /usr/bin/python3 \(program) \(mode) \(address) \(port) >\(out) 2>&1 &
            echo $!
            i=0; until grep -q listening \(out) || [ $i -ge 100 ]; do sleep 0.05; i=$((i+1)); done
            grep -q listening \(out) || { cat \(out) >&2; exit 1; }
            """)
        try #require(started.succeeded, "server did not start:\n\(started)")
        return try #require(Int32(started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// Applies the manifest and starts `servers` (mode, port) in web; returns the manifest path and the pids.
    static func setUp(_ sandbox: Sandbox, servers: [(String, Int, String)]) throws -> (String, [Int32]) {
        let manifest = try sandbox.writeManifest(Self.manifest)
        try sandbox.applyOrFail(manifest)
        return (manifest, try servers.map { try serve(sandbox, $0.0, $0.1, address: $0.2) })
    }

    @Test("a TCP server and an answering UDP server: both forwards pass, on the handshake and on the answer, each with conntrack")
    func answeringServers() async throws {
        try await Heavy.run {
            let sandbox = try Sandbox()
            let (manifest, pids) = try Self.setUp(sandbox, servers: [("tcp", 80, "0.0.0.0"), ("udp-echo", 53, "0.0.0.0")])
            defer { for pid in pids { kill(pid, SIGKILL) } }
            let (result, report) = try ForwardVerifyTests.verify(sandbox, manifest)
            #expect(result.status == 0, "\(result)")
            let tcp = ForwardVerifyTests.forward(report, "tcp/8080"), udp = ForwardVerifyTests.forward(report, "udp/5353")
            #expect(tcp?.status == "pass" && tcp?.evidence == ["outside", "tcp-handshake", "conntrack"], "\(tcp.map(\.description) ?? "-")")
            #expect(tcp?.observed?.contains("a server already on 10.88.0.2:80 answered the handshake") == true, "\(tcp.map(\.description) ?? "-")")
            #expect(udp?.status == "pass" && udp?.evidence == ["outside", "link-arrival", "udp-answer", "conntrack"], "\(udp.map(\.description) ?? "-")")
            #expect(udp?.observed?.contains("a server already on 10.88.0.2:53 answered the datagram (seen arriving on eth0 in web)") == true,
                    "\(udp.map(\.description) ?? "-")")
            #expect(udp?.observed?.contains("conntrack: DNAT to 10.88.0.2:53") == true, "\(udp.map(\.description) ?? "-")")
        }
    }

    @Test("a UDP server that never answers: the forward passes on the datagram seen on web's link and received by web's UDP layer")
    func silentServer() async throws {
        try await Heavy.run {
            let sandbox = try Sandbox()
            let (manifest, pids) = try Self.setUp(sandbox, servers: [("udp-silent", 53, "0.0.0.0")])
            defer { for pid in pids { kill(pid, SIGKILL) } }
            let (result, report) = try ForwardVerifyTests.verify(sandbox, manifest)
            #expect(result.status == 0, "\(result)")
            let udp = ForwardVerifyTests.forward(report, "udp/5353")
            #expect(udp?.status == "pass" && udp?.evidence == ["outside", "link-arrival", "udp-counters", "conntrack"], "\(udp.map(\.description) ?? "-")")
            #expect(udp?.observed?.contains("seen arriving on eth0 in web and web's UDP layer received it") == true, "\(udp.map(\.description) ?? "-")")
            #expect(udp?.observed?.contains("sent no answer") == true, "\(udp.map(\.description) ?? "-")")
        }
    }

    @Test("a UDP server bound to 127.0.0.1 only: web's kernel answers ICMP port unreachable — the path works, and the row says no socket takes 10.88.0.2:53")
    func serverOnLoopback() async throws {
        try await Heavy.run {
            let sandbox = try Sandbox()
            let (manifest, pids) = try Self.setUp(sandbox, servers: [("udp-echo", 53, "127.0.0.1")])
            defer { for pid in pids { kill(pid, SIGKILL) } }
            let (result, report) = try ForwardVerifyTests.verify(sandbox, manifest)
            #expect(result.status == 0, "\(result)")
            let udp = ForwardVerifyTests.forward(report, "udp/5353")
            #expect(udp?.status == "pass" && udp?.evidence == ["outside", "link-arrival", "icmp-unreachable", "conntrack"], "\(udp.map(\.description) ?? "-")")
            #expect(udp?.observed?.contains("answered ICMP port unreachable") == true
                    && udp?.observed?.contains("no socket takes 10.88.0.2:53") == true, "\(udp.map(\.description) ?? "-")")
        }
    }

    @Test("servers listening, a foreign forward rule drops web's traffic: verify exits 3 and both forwards fail, naming the rule")
    func foreignDrop() async throws {
        try await Heavy.run {
            let sandbox = try Sandbox()
            let (manifest, pids) = try Self.setUp(sandbox, servers: [("tcp", 80, "0.0.0.0"), ("udp-echo", 53, "0.0.0.0")])
            defer { for pid in pids { kill(pid, SIGKILL) } }
            for line in ["nft add table inet hostfw",
                         "nft add chain inet hostfw forward '{ type filter hook forward priority 0; policy accept; }'",
                         "nft add rule inet hostfw forward ip daddr 10.88.0.2 drop"] {
                try sandbox.must(["/bin/sh", "-c", line])
            }
            let (result, report) = try ForwardVerifyTests.verify(sandbox, manifest)
            #expect(result.status == 3, "\(result)")
            #expect(result.stdout.contains("FAIL") || !report.ok, "\(result)")
            for port in ["tcp/8080", "udp/5353"] {
                let c = ForwardVerifyTests.forward(report, port)
                #expect(c?.status == "fail", "\(port): \(c.map(\.description) ?? "missing")")
                #expect(c?.observed?.contains("table inet hostfw chain forward handle") == true
                        && c?.observed?.contains("ip daddr 10.88.0.2 drop") == true, "\(port): \(c.map(\.description) ?? "-")")
            }
            let udp = ForwardVerifyTests.forward(report, "udp/5353")
            #expect(udp?.observed?.contains("never arrived on eth0 in web") == true, "\(udp.map(\.description) ?? "-")")
        }
    }

    @Test("servers listening, web's address removed: verify exits 3 and both forwards fail (nothing takes 10.88.0.2 in web)")
    func addressRemoved() async throws {
        try await Heavy.run {
            let sandbox = try Sandbox()
            let (manifest, pids) = try Self.setUp(sandbox, servers: [("tcp", 80, "0.0.0.0"), ("udp-echo", 53, "0.0.0.0")])
            defer { for pid in pids { kill(pid, SIGKILL) } }
            try sandbox.must(["ip", "-n", "web", "addr", "del", "10.88.0.2/16", "dev", "eth0"])
            let (result, report) = try ForwardVerifyTests.verify(sandbox, manifest)
            #expect(result.status == 3, "\(result)")
            for port in ["tcp/8080", "udp/5353"] {
                let c = ForwardVerifyTests.forward(report, port)
                #expect(c?.status == "fail", "\(port): \(c.map(\.description) ?? "missing")")
            }
            let udp = ForwardVerifyTests.forward(report, "udp/5353")
            let said = udp?.observed ?? ""
            #expect(said.contains("never arrived on eth0 in web") || said.contains("its UDP layer never received it"), "\(udp.map(\.description) ?? "-")")
        }
    }

    @Test("no server at all: both forwards pass on plumb's own sockets in web (the nonce arrived), with conntrack")
    func noServer() async throws {
        try await Heavy.run {
            let sandbox = try Sandbox()
            let (manifest, _) = try Self.setUp(sandbox, servers: [])
            let (result, report) = try ForwardVerifyTests.verify(sandbox, manifest)
            #expect(result.status == 0, "\(result)")
            for (port, nonce) in [("tcp/8080", "tcp-nonce"), ("udp/5353", "udp-nonce")] {
                let c = ForwardVerifyTests.forward(report, port)
                #expect(c?.status == "pass" && c?.evidence == ["outside", nonce, "conntrack"], "\(port): \(c.map(\.description) ?? "-")")
                #expect(c?.observed?.contains("its nonce arrived on plumb's socket in web") == true, "\(port): \(c.map(\.description) ?? "-")")
            }
        }
    }
}
