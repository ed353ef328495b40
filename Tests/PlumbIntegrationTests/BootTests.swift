import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 13, must-show 1: Plumb at boot under a real systemd (252, Debian's), booted by
/// `systemd-nspawn` in a private network namespace (see `BootedMachine`), with the units and
/// binary installed by `scripts/install-service.sh` and plumb.service enabled. After boot the
/// unit is active (exited), every manifest of /etc/plumb verifies, a port forward answers, and
/// a container runtime ordered after it found the networks made; a second boot does the same.
/// With an invalid manifest in the directory the others still come up, the journal names it by
/// path and line, and the unit is `failed` (Result=exit-code) so `systemctl --failed` shows it.
/// Every boot also loads a firewall (Debian's nftables.service, `flush ruleset` first): the
/// NAT table must stand beside it (see `NodeRoot`).
@Suite("Boot under real systemd (systemd-nspawn)", .timeLimit(.minutes(10)))   // time waiting in Heavy's queue counts
struct BootTests {
    /// manifests/demo.yaml as shipped.
    static func demo() throws -> String { try example("demo.yaml") }

    /// manifests/nat.yaml as shipped: bridge br1, 10.89.0.0/16, container www — its own, so
    /// the two examples share /etc/plumb.
    static func nat() throws -> String { try example("nat.yaml") }

    /// Invalid: an address that is not one, on a known line. Named to sort between the two
    /// valid ones, so the one after it shows that it did not stop the set.
    static let broken = """
        version: 1
        name: broken
        bridges:
          - name: br9
            addresses: [10.99.0.300/16]

        """
    static let brokenFile = "m-broken.yaml"

    /// Links the manifests make in the machine's own namespace: what the runtime must find,
    /// and what must never show up on the host.
    static let manifestLinks = ["br0", "web-eth0", "db-eth0", "veth-cache", "br1", "www-eth0"]

    @Test("two boots: plumb.service active (exited) before the runtime starts; every manifest verifies; the port forward answers")
    func bootsTwice() async throws {
        let o = try await Heavy.run { () throws -> [BootObservation] in
            let node = try BootNode(files: ["demo.yaml": try Self.demo(), "nat.yaml": try Self.nat()])
            defer { node.close() }
            return try (1...2).map { try node.boot($0, valid: ["demo.yaml", "nat.yaml"]) }
        }
        for boot in o {
            expectUnit(boot, ["ActiveState": "active", "SubState": "exited", "Result": "success", "ExecMainStatus": "0"])
            expectConverged(boot)
        }
        let first = try #require(o.first), second = try #require(o.last)
        #expect(first.runtimeSawNames == second.runtimeSawNames,
                "the second boot converged differently:\n\(first.runtimeSawNames)\n\(second.runtimeSawNames)")
    }

    @Test("a directory with an invalid manifest: the others come up, the journal names it by path and line, the unit is failed")
    func invalidManifestAtBoot() async throws {
        let o = try await Heavy.run { () throws -> BootObservation in
            let node = try BootNode(files: ["demo.yaml": try Self.demo(), Self.brokenFile: Self.broken,
                                            "nat.yaml": try Self.nat()])
            defer { node.close() }
            return try node.boot(1, valid: ["demo.yaml", "nat.yaml"])
        }
        expectUnit(o, ["ActiveState": "failed", "Result": "exit-code", "ExecMainStatus": "1"])
        expectConverged(o)

        let line = try #require(Manifests.line(of: "10.99.0.300", in: Self.broken))
        let lines = o.journal.split(separator: "\n").map(String.init)
        // Whole lines: the journal takes stdout and stderr on one stream, so an error must
        // not land inside a buffered line of the report.
        let named = lines.firstIndex { $0.hasPrefix("plumb: error: /etc/plumb/\(Self.brokenFile)") }
        #expect(named != nil, "the journal does not name /etc/plumb/\(Self.brokenFile):\n\(o.journal)")
        if let i = named {
            let detail = lines.dropFirst(i + 1).first ?? ""
            #expect(detail.contains("10.99.0.300/16") && detail.contains("(line \(line))"),
                    "the error under the path does not name the value and line \(line): \(detail)\n\(o.journal)")
        }
        // The journal tells the operator systemd's verdict as well.
        #expect(o.unitLog.contains("Failed with result 'exit-code'"), "\(o.unitLog)")
    }

    // MARK: Expectations

    func expectUnit(_ o: BootObservation, _ want: [String: String], sourceLocation: SourceLocation = #_sourceLocation) {
        for (key, value) in want {
            #expect(o.unit[key] == value, "boot \(o.number): plumb.service \(key)=\(o.unit[key] ?? "?"), expected \(value)\n\(o.unitLog)",
                    sourceLocation: sourceLocation)
        }
    }

    /// What holds after every boot whatever the unit's result: the valid manifests applied
    /// (by the service: the journal shows each), verify and the port forward pass, the
    /// runtime found the links, no ordering cycle, nothing left on the host.
    func expectConverged(_ o: BootObservation, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(o.pid1 == "systemd", "boot \(o.number): PID 1 is \(o.pid1)", sourceLocation: sourceLocation)
        for file in o.valid {
            #expect(o.journal.contains("== /etc/plumb/\(file)"), "boot \(o.number): the unit did not apply \(file):\n\(o.journal)",
                    sourceLocation: sourceLocation)
        }
        let verdicts = o.journal.split(separator: "\n").filter { $0.hasPrefix("Verify: ") && $0.hasSuffix("— OK") }
        #expect(verdicts.count == o.valid.count,
                "boot \(o.number): \(verdicts.count) whole \"Verify: … OK\" lines in the journal for \(o.valid.count) manifests:\n\(o.journal)",
                sourceLocation: sourceLocation)
        for v in o.verifies {
            #expect(v.status == 0 && v.stdout.contains("— OK"), "boot \(o.number):\n\(v)", sourceLocation: sourceLocation)
        }
        for p in o.plans {
            #expect(p.status == 0, "boot \(o.number): not converged:\n\(p)", sourceLocation: sourceLocation)
        }
        #expect(o.exchange.client.succeeded && o.exchange.client.stdout.contains("answered \(o.exchange.nonce)"),
                "boot \(o.number): tcp 192.0.2.1:8080 did not answer:\n\(o.exchange.client)\n--- server\n\(o.exchange.server)",
                sourceLocation: sourceLocation)
        #expect(o.exchange.server.contains("got \(o.exchange.nonce) from \(BootNode.upstreamAddress):"),
                "boot \(o.number): the server in www did not get the nonce from upstream:\n\(o.exchange.server)",
                sourceLocation: sourceLocation)
        let missing = BootTests.manifestLinks.filter { !o.runtimeSawNames.contains($0) }
        #expect(missing.isEmpty, "boot \(o.number): the runtime (ordered after plumb.service) started before \(missing) existed:\n\(o.runtimeSaw)",
                sourceLocation: sourceLocation)
        #expect(o.firewall == "active", "boot \(o.number): nftables.service is \(o.firewall)", sourceLocation: sourceLocation)
        #expect(o.tables.contains("table \(NodeRoot.firewallTable)") && o.tables.contains("table inet plumb_natdemo_"),
                "boot \(o.number): the firewall's table and plumb's NAT table are not both there:\n\(o.tables)",
                sourceLocation: sourceLocation)
        #expect(o.analyze.succeeded && o.analyze.stderr.isEmpty && o.analyze.stdout.isEmpty,
                "boot \(o.number): systemd-analyze finds fault with the installed units:\n\(o.analyze)",
                sourceLocation: sourceLocation)
        #expect(o.cycles.isEmpty, "boot \(o.number): systemd broke an ordering cycle:\n\(o.cycles)", sourceLocation: sourceLocation)
        #expect(o.watcher == "active", "boot \(o.number): plumb-watch.service is \(o.watcher)\n\(o.watchJournal)",
                sourceLocation: sourceLocation)
        #expect(o.watchRepairMs != nil, "boot \(o.number): the watcher did not restore the NAT table after nft flush ruleset:\n\(o.watchJournal)",
                sourceLocation: sourceLocation)
        if let ms = o.watchRepairMs { print("boot \(o.number): plumb-watch.service restored the NAT table \(ms) ms after nft flush ruleset") }
        #expect(!o.poweredOff.timedOut, "boot \(o.number): the machine did not power off (killed)", sourceLocation: sourceLocation)
        #expect(o.leftOnHost.isEmpty, "boot \(o.number): links on the host after the machine ended: \(o.leftOnHost)",
                sourceLocation: sourceLocation)
    }
}

extension BootTests {
    static func example(_ file: String) throws -> String {
        try String(contentsOf: PlumbBinary.packageRoot.appendingPathComponent("manifests/\(file)"), encoding: .utf8)
    }
}
