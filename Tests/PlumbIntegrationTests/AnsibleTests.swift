import Foundation
import Testing

/// Issue 13, part 4 "Fleets": the Ansible module (`ansible/library/plumb.py`) run by
/// `ansible-playbook` against localhost inside a sandbox, on the demo manifest: a first run
/// changes and builds the containers, a second reports ok, check mode reports drift without
/// touching the kernel, and `state: absent` removes everything of Plumb's.
@Suite("Ansible module", .timeLimit(.minutes(10)))   // time waiting in Heavy's queue counts
struct AnsibleTests {
    static let containers = ["cache", "db", "web"]
    static let hostEnds = ["db-eth0", "veth-cache", "web-eth0"]

    /// The demo manifest, copied where an operator's copy task would put it.
    static func demo(_ sandbox: Sandbox) throws -> String {
        let source = PlumbBinary.packageRoot.appendingPathComponent("manifests/demo.yaml").path
        return try sandbox.writeManifest(String(contentsOfFile: source, encoding: .utf8), fileName: "demo.yaml")
    }

    /// The kernel once its own asynchronous work is done, so that only the run under test can
    /// change it: an IPv6 address leaves `tentative` when duplicate address detection ends
    /// (~1 s after its link came up), and the kernel's linkwatch applies a carrier change to
    /// operstate up to 1 s late. Settled: no tentative address, and nothing changed for 1 s.
    static func settled(_ sandbox: Sandbox) throws -> KernelSnapshot {
        var last = try KernelSnapshot.take(sandbox), since = ContinuousClock.now
        let deadline = since + .seconds(10)
        while ContinuousClock.now < deadline {
            usleep(250_000)
            let now = try KernelSnapshot.take(sandbox)
            if now != last { (last, since) = (now, ContinuousClock.now); continue }
            if ContinuousClock.now - since >= .seconds(1), !now.lines.contains(where: { $0.contains("tentative=1") }) { return now }
        }
        return last
    }

    struct Present: Sendable {
        var first: AnsiblePlaybook.Run, second: AnsiblePlaybook.Run, check: AnsiblePlaybook.Run
        var netns: [String], ports: [String], webAddresses: [String]
        var untouched: [String], webLinkAfterCheck: String
    }

    @Test("present: first run changed (namespaces, veths, addresses exist); second ok; --check on drift changed, kernel untouched")
    func present() async throws {
        let o = try await Heavy.run { () throws -> Present in
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            let manifest = try Self.demo(sandbox)
            var ansible = try AnsiblePlaybook(sandbox)
            let first = try ansible.run(manifest: manifest)
            let netns = try sandbox.netnsList().sorted()
            let ports = try sandbox.links(master: "br0").sorted()
            let webAddresses = try sandbox.addresses(netns: "web", dev: "eth0")
            let second = try ansible.run(manifest: manifest)

            // Drift by hand; the route through eth0 goes with the link, as the kernel does it.
            try sandbox.must(["ip", "-n", "web", "link", "set", "eth0", "down"])
            let before = try Self.settled(sandbox)
            let check = try ansible.run(manifest: manifest, "--check", "--diff")
            let after = try KernelSnapshot.take(sandbox)
            return Present(first: first, second: second, check: check, netns: netns, ports: ports,
                           webAddresses: webAddresses, untouched: after.diff(from: before),
                           webLinkAfterCheck: try sandbox.must(["ip", "-n", "web", "-o", "link", "show", "eth0"]).stdout)
        }
        #expect(o.first.command.succeeded && o.first.changed == true, "first run:\n\(o.first)")
        #expect(o.first.recap["changed"] == 1, "first run's recap:\n\(o.first.command)")
        #expect(o.first.verifyOK == true, "first run returns verify's report, all passed:\n\(o.first)")
        #expect(o.netns == Self.containers, "namespaces after the first run")
        #expect(o.ports == Self.hostEnds, "br0's ports after the first run")
        #expect(o.webAddresses == ["10.88.0.2/16"], "web's eth0 after the first run")

        #expect(o.second.command.succeeded && o.second.changed == false, "second run:\n\(o.second)")
        #expect(o.second.recap["changed"] == 0 && o.second.recap["ok"] == 1, "second run's recap:\n\(o.second.command)")
        #expect(o.second.planCommands.isEmpty, "second run planned steps:\n\(o.second)")
        #expect(o.second.verifyOK == true, "a converged run still returns verify's report:\n\(o.second)")

        #expect(o.check.command.succeeded && o.check.changed == true, "--check after drift:\n\(o.check)")
        #expect(o.check.recap["changed"] == 1, "--check's recap:\n\(o.check.command)")
        #expect(o.check.planCommands.contains("ip -n web link set dev eth0 up"), "--check's plan:\n\(o.check)")
        #expect(o.check.command.stdout.contains("+  ~ ip -n web link set dev eth0 up"), "--diff shows the plan:\n\(o.check.command)")
        #expect(o.untouched.isEmpty, "--check changed the kernel or /run/plumb:\n\(o.untouched.joined(separator: "\n"))")
        #expect(!o.webLinkAfterCheck.contains("state UP") && !o.webLinkAfterCheck.contains(",UP"),
                "web's eth0 is up again after --check: \(o.webLinkAfterCheck)")
    }

    struct Absent: Sendable {
        var check: AnsiblePlaybook.Run, destroy: AnsiblePlaybook.Run, again: AnsiblePlaybook.Run
        var untouched: [String], netnsAfterCheck: [String], left: Left
    }
    /// What a user finds after destroy: named namespaces, host links, Plumb's records.
    struct Left: Sendable { var netns: [String], links: [String], records: [String] }

    @Test("absent: --check reports changed and removes nothing; a run destroys everything; a second run is ok")
    func absent() async throws {
        let o = try await Heavy.run { () throws -> Absent in
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            let manifest = try Self.demo(sandbox)
            try sandbox.applyOrFail(manifest)
            var ansible = try AnsiblePlaybook(sandbox)
            let before = try Self.settled(sandbox)
            let check = try ansible.run(manifest: manifest, state: "absent", "--check")
            let untouched = try KernelSnapshot.take(sandbox).diff(from: before)
            let netnsAfterCheck = try sandbox.netnsList().sorted()
            let destroy = try ansible.run(manifest: manifest, state: "absent")
            var links: [String] = []
            _ = try eventually { links = try sandbox.links(); return links == ["lo"] }  // netns cleanup is asynchronous
            let left = Left(netns: try sandbox.netnsList(), links: links, records: try sandbox.records().map(\.description))
            let again = try ansible.run(manifest: manifest, state: "absent")
            return Absent(check: check, destroy: destroy, again: again, untouched: untouched,
                          netnsAfterCheck: netnsAfterCheck, left: left)
        }
        #expect(o.check.command.succeeded && o.check.changed == true, "--check with a record:\n\(o.check)")
        #expect(o.untouched.isEmpty, "--check changed the kernel or /run/plumb:\n\(o.untouched.joined(separator: "\n"))")
        #expect(o.netnsAfterCheck == Self.containers)

        #expect(o.destroy.command.succeeded && o.destroy.changed == true, "destroy:\n\(o.destroy)")
        #expect(o.destroy.planCommands.contains("ip link del dev br0"), "destroy's steps:\n\(o.destroy)")
        #expect(o.left.netns.isEmpty, "namespaces left: \(o.left.netns)")
        #expect(o.left.links == ["lo"], "links left: \(o.left.links)")
        #expect(o.left.records.isEmpty, "records left: \(o.left.records)")
        #expect(o.again.command.succeeded && o.again.changed == false, "second destroy:\n\(o.again)")
        #expect(o.again.recap["changed"] == 0, "second destroy's recap:\n\(o.again.command)")
    }
}

extension AnsibleTests {
    struct Failures: Sendable {
        var rollback: AnsiblePlaybook.Run, rollbackLeft: [String]
        var applyUnverified: AnsiblePlaybook.Run, convergedUnverified: AnsiblePlaybook.Run
    }

    /// Drops every IP packet from the gateway inside web: plan sees nothing wrong (the table
    /// is not Plumb's), verify's probe fails.
    static let dropFromGateway = [
        "ip netns exec web nft add table inet t",
        "ip netns exec web nft add chain inet t in '{ type filter hook input priority 0; }'",
        "ip netns exec web nft add rule inet t in ip saddr 10.88.0.1 drop",
    ]

    @Test("failures: a refused apply fails unchanged (rolled back); a failed verification fails the task with the report")
    func failures() async throws {
        let o = try await Heavy.run { () throws -> Failures in
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            var ansible = try AnsiblePlaybook(sandbox)
            // The kernel refuses its last step (a broadcast gateway): plumb undoes the rest.
            let refused = try sandbox.writeManifest(Manifests.rollbackTrio, fileName: "rollback.yaml")
            let rollback = try ansible.run(manifest: refused)
            var left: [String] = []
            _ = try eventually { left = try sandbox.netnsList() + sandbox.links(); return left == ["lo"] }

            let manifest = try Self.demo(sandbox)
            try sandbox.applyOrFail(manifest)
            try sandbox.must(["ip", "-n", "web", "link", "set", "eth0", "down"])
            for line in Self.dropFromGateway { try sandbox.must(["/bin/sh", "-c", line]) }
            let applyUnverified = try ansible.run(manifest: manifest)
            let convergedUnverified = try ansible.run(manifest: manifest)
            return Failures(rollback: rollback, rollbackLeft: left,
                            applyUnverified: applyUnverified, convergedUnverified: convergedUnverified)
        }
        #expect(!o.rollback.command.succeeded && o.rollback.failed && o.rollback.changed == false && o.rollback.plumbExit == 1,
                "refused apply:\n\(o.rollback)")
        #expect((o.rollback.result["msg"] as? String ?? "").contains("Nexthop has invalid gateway (EINVAL)"),
                "the task's message is plumb's error:\n\(o.rollback)")
        #expect(o.rollbackLeft == ["lo"], "left after the refused apply: \(o.rollbackLeft)")

        #expect(o.applyUnverified.failed && o.applyUnverified.changed == true, "apply, then verify fails:\n\(o.applyUnverified)")
        #expect(o.applyUnverified.planCommands.contains("ip -n web link set dev eth0 up"), "\(o.applyUnverified)")
        #expect(o.applyUnverified.verifyOK == false && o.applyUnverified.plumbExit == 3,
                "the failed report is returned:\n\(o.applyUnverified)")
        #expect((o.applyUnverified.result["msg"] as? String ?? "").contains("web eth0 probe"), "\(o.applyUnverified)")
        #expect(o.convergedUnverified.failed && o.convergedUnverified.changed == false,
                "converged, verify fails:\n\(o.convergedUnverified)")
        #expect(o.convergedUnverified.verifyOK == false && o.convergedUnverified.plumbExit == 3, "\(o.convergedUnverified)")
        #expect(o.convergedUnverified.planCommands.isEmpty, "\(o.convergedUnverified)")
    }
}

extension AnsibleTests {
    /// A second manifest beside the demo in one directory: its own bridge and container.
    static let api = """
        version: 1
        name: api
        bridges:
          - name: br1
            addresses: [10.89.0.1/16]
        containers:
          - name: api
            netns: api
            interfaces:
              - {name: eth0, veth: {bridge: br1}, addresses: [10.89.0.2/16]}
            routes:
              - {to: default, via: 10.89.0.1}
        """

    struct Directory: Sendable {
        var first: AnsiblePlaybook.Run, second: AnsiblePlaybook.Run, destroy: AnsiblePlaybook.Run
        var netns: [String], left: Left
    }

    /// (path's file name, the entry's result) of a directory's `plan` or `verify` list.
    static func perManifest(_ run: AnsiblePlaybook.Run, _ key: String) -> [String: [String: Any]] {
        var out: [String: [String: Any]] = [:]
        for e in run.result[key] as? [[String: Any]] ?? [] {
            out[((e["path"] as? String ?? "") as NSString).lastPathComponent] = e["result"] as? [String: Any]
        }
        return out
    }

    @Test("a directory of two manifests: first run changed (both built), second ok with both reports, absent removes both")
    func directory() async throws {
        let o = try await Heavy.run { () throws -> Directory in
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            let dir = sandbox.scratch.appendingPathComponent("plumb.d")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try String(contentsOfFile: try Self.demo(sandbox), encoding: .utf8)
                .write(to: dir.appendingPathComponent("10-demo.yaml"), atomically: true, encoding: .utf8)
            try Self.api.write(to: dir.appendingPathComponent("20-api.yaml"), atomically: true, encoding: .utf8)
            var ansible = try AnsiblePlaybook(sandbox)
            let first = try ansible.run(manifest: dir.path)
            let netns = try sandbox.netnsList().sorted()
            let second = try ansible.run(manifest: dir.path)
            let destroy = try ansible.run(manifest: dir.path, state: "absent")
            var links: [String] = []
            _ = try eventually { links = try sandbox.links(); return links == ["lo"] }
            return Directory(first: first, second: second, destroy: destroy, netns: netns,
                             left: Left(netns: try sandbox.netnsList(), links: links, records: try sandbox.records().map(\.description)))
        }
        let firstPlans = Self.perManifest(o.first, "plan")
        #expect(o.first.command.succeeded && o.first.changed == true, "first run:\n\(o.first)")
        #expect(firstPlans.keys.sorted() == ["10-demo.yaml", "20-api.yaml"], "one plan per manifest:\n\(o.first)")
        #expect(firstPlans.values.allSatisfy { $0["converged"] as? Bool == false }, "both applied:\n\(o.first)")
        #expect(o.netns == ["api"] + Self.containers)

        let reports = Self.perManifest(o.second, "verify")
        #expect(o.second.command.succeeded && o.second.changed == false, "second run:\n\(o.second)")
        #expect(reports.count == 2 && reports.values.allSatisfy { $0["ok"] as? Bool == true }, "both verified:\n\(o.second)")

        #expect(o.destroy.command.succeeded && o.destroy.changed == true, "absent:\n\(o.destroy)")
        #expect(o.left.netns.isEmpty && o.left.links == ["lo"] && o.left.records.isEmpty, "left after absent: \(o.left)")
    }
}
