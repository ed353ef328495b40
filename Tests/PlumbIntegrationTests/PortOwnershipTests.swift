import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue "verification you can trust", must-shows 1 (double-published port) and 3: one owner
/// per host port. A second owner — another manifest, a container provisioned by the OCI
/// hook — is refused at plan time with both named, and the first owner's traffic never flips;
/// a double publication made before records said which ports they hold fails verify; a host
/// process bound to a published port is warned about.
@Suite("One owner per host port", .timeLimit(.minutes(10)))
struct PortOwnershipTests {
    /// Manifest `name` with one container on its own bridge publishing tcp/8080.
    static func manifest(_ name: String, bridge: String, subnet: Int, container: String, netns: String? = nil) -> String {
        """
        version: 1
        name: \(name)
        bridges:
          - {name: \(bridge), addresses: [10.\(subnet).0.1/16], nat: {masquerade: true}}
        containers:
          - name: \(container)
        \(netns.map { "    netns: \($0)" } ?? "")
            interfaces:
              - {name: eth0, veth: {bridge: \(bridge)}, addresses: [10.\(subnet).0.2/16]}
            routes:
              - {to: default, via: 10.\(subnet).0.1}
            ports:
              - {host: 8080, container: 80, protocol: tcp}
        """
    }
    static let first = manifest("first", bridge: "br0", subnet: 88, container: "web", netns: "web")
    static let second = manifest("second", bridge: "br1", subnet: 89, container: "api", netns: "api")

    /// A TCP client in `upstream` connecting to the sandbox's 192.0.2.1:8080 reaches the
    /// server started in `netns` (the first owner's container).
    func expectTrafficReaches(_ sandbox: Sandbox, _ netns: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let nonce = "n\(UInt32.random(in: 100_000...UInt32.max))"
        let exchange = try sandbox.exchange(server: (netns: netns, "tcp-server 80"),
                                            client: (netns: "upstream", "tcp-client \(Upstream.hostAddress) 8080 \(nonce)"))
        #expect(exchange.server.contains("got \(nonce) from "), "8080 no longer reaches \(netns):\n\(exchange.client)\n\(exchange.server)",
                sourceLocation: sourceLocation)
    }

    @Test("a second manifest publishing tcp/8080 is refused at plan and apply, naming both; 8080 still reaches the first")
    func secondManifestRefused() throws {
        let sandbox = try Sandbox()
        try sandbox.addUpstream()
        let a = try sandbox.writeManifest(Self.first, fileName: "first.yaml")
        let b = try sandbox.writeManifest(Self.second, fileName: "second.yaml")
        try sandbox.applyOrFail(a)
        try expectTrafficReaches(sandbox, "web")
        let tables = try sandbox.nftTables()

        for command in ["plan", "apply"] {
            let r = try sandbox.plumb(command, b)
            #expect(r.status == 1, "\(r)")
            #expect(r.stderr.contains("containers[0].ports[0].host: tcp/8080 is already published by manifest first (container web → 10.88.0.2:80); manifest second (container api) cannot publish it too: one owner per host port"),
                    "\(r)")
        }
        #expect(try sandbox.nftTables() == tables, "the refused apply changed nftables")
        #expect(try !sandbox.links().contains("br1"), "the refused apply created second's bridge")
        try expectTrafficReaches(sandbox, "web")
        let verify = try sandbox.plumb("verify", a)
        #expect(verify.status == 0, "\(verify)")
    }

    @Test("a container provisioned by the OCI hook publishing tcp/8080 is refused, naming both; 8080 still reaches the first")
    func hookLayerRefused() throws {
        let sandbox = try Sandbox()
        try sandbox.addUpstream()
        let a = try sandbox.writeManifest(Self.first, fileName: "first.yaml")
        let hooked = try sandbox.writeManifest(Self.manifest("hooked", bridge: "br1", subnet: 89, container: "api"), fileName: "hooked.yaml")
        try sandbox.applyOrFail(a)
        // The container's process: a shell in a network namespace of its own, killed below by pid.
        let holder = try sandbox.sh("unshare --net --fork --kill-child sleep 20 >/dev/null 2>&1 & echo $!")
        let pid = try #require(Int32(holder.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(pid, SIGKILL) }
        var child = ""
        _ = try eventually { child = try sandbox.sh("pgrep -P \(pid) sleep || true").stdout.trimmingCharacters(in: .whitespacesAndNewlines); return !child.isEmpty }
        let state = #"{"ociVersion": "1.0.2", "id": "ctr-api", "status": "created", "pid": \#(child), "bundle": "/tmp", "annotations": {"plumb.network/container": "api"}}"#
        let stateFile = try sandbox.writeManifest(state, fileName: "state.json")
        let hook = try sandbox.sh("\(try PlumbBinary.path()) hook createRuntime \(hooked) < \(stateFile)")
        #expect(hook.status == 1, "\(hook)")
        #expect(hook.stderr.contains("tcp/8080 is already published by manifest first (container web → 10.88.0.2:80); container api of manifest hooked"),
                "\(hook)")
        #expect(try !sandbox.links().contains("br1"), "the refused hook left its host layer")
        try expectTrafficReaches(sandbox, "web")
    }

    @Test("a double publication from before records named their ports: verify exits 3 on both owners, naming the other")
    func doublePublished() throws {
        let sandbox = try Sandbox()
        let a = try sandbox.writeManifest(Self.first, fileName: "first.yaml")
        let b = try sandbox.writeManifest(Self.second, fileName: "second.yaml")
        try sandbox.applyOrFail(a)
        // first's record as a Plumb before this change wrote it: no "ports".
        let record = try #require(try sandbox.list("/run/plumb").first { $0.hasPrefix("manifest-") && $0.hasSuffix(".json") })
        try sandbox.must(["/usr/bin/python3", "-c", """
            import json; p = "/run/plumb/\(record)"; r = json.load(open(p)); r.pop("ports"); json.dump(r, open(p, "w"))
            """])
        // second's own apply already verifies, and fails: first's table still takes 8080.
        let apply = try sandbox.plumb("apply", b)
        #expect(apply.status == 3, "\(apply)")
        #expect(apply.stdout.contains("also redirected by table inet plumb_first_"), "\(apply)")

        for (manifest, other) in [(a, "also published by manifest second (container api → 10.89.0.2:80)"),
                                  (b, "also redirected by table inet plumb_first_")] {
            let verify = try sandbox.plumb("verify", manifest, "--output", "json")
            #expect(verify.status == 3, "\(verify)")
            let report = try verify.decode(VerifyReport.self)
            let owner = report.containers.flatMap(\.checks).first { $0.name == "port-owner" && $0.interface == "tcp/8080" }
            #expect(owner?.status == "fail", "\(owner.map(\.description) ?? "missing")")
            #expect(owner?.observed?.contains(other) == true, "\(owner.map(\.description) ?? "-")")
        }
    }

    @Test("a host process listening on 8080: plan warns that the DNAT shadows it, verify warns (and passes)")
    func hostListenerWarned() throws {
        let sandbox = try Sandbox()
        let listener = try sandbox.sh("""
            /usr/bin/python3 -c 'import socket,time; s=socket.socket(); s.bind(("0.0.0.0",8080)); s.listen(); print("up", flush=True); time.sleep(20)' > \(sandbox.scratch.path)/l.out 2>&1 &
            echo $!; i=0; until grep -q up \(sandbox.scratch.path)/l.out || [ $i -ge 100 ]; do sleep 0.05; i=$((i+1)); done
            """)
        let pid = try #require(Int32(listener.stdout.split(separator: "\n").first ?? ""))
        defer { kill(pid, SIGKILL) }
        let a = try sandbox.writeManifest(Self.first)
        let plan = try sandbox.plumb("plan", a)
        #expect(plan.status == 0, "\(plan)")
        #expect(plan.stdout.contains("warning: tcp/8080 is bound by a host process: 0.0.0.0:8080"), "\(plan)")
        #expect(plan.stdout.contains("shadows it"), "\(plan)")
        try sandbox.applyOrFail(a)
        let verify = try sandbox.plumb("verify", a, "--output", "json")
        #expect(verify.status == 0, "\(verify)")
        let owner = try verify.decode(VerifyReport.self).containers.flatMap(\.checks).first { $0.name == "port-owner" }
        #expect(owner?.status == "warn" && owner?.evidence?.contains("sock-diag") == true, "\(owner.map(\.description) ?? "missing")")
    }
}
