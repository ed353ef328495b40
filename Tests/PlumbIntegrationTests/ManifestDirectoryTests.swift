import Foundation
import Testing

/// Issue 13 "At boot": `plumb apply|plan|verify|destroy DIR` handles every manifest of a
/// directory (what plumb.service does with /etc/plumb), each in its own transaction, in name
/// order; one bad manifest is reported by path and line and does not stop the others.
@Suite("A directory of manifests", .timeLimit(.minutes(10)))   // time waiting in Heavy's queue counts
struct ManifestDirectoryTests {
    static func net(_ name: String, _ bridge: String, _ octet: Int) -> String {
        """
        version: 1
        name: \(name)
        bridges:
          - {name: \(bridge), addresses: [10.\(octet).0.1/24]}
        containers:
          - name: \(name)-c
            netns: \(name)-ns
            interfaces:
              - {name: eth0, veth: {bridge: \(bridge)}, addresses: [10.\(octet).0.2/24]}
            routes:
              - {to: default, via: 10.\(octet).0.1}
        """
    }

    /// A directory in the sandbox's scratch with these files.
    static func directory(_ sandbox: Sandbox, _ files: [String: String]) throws -> String {
        let dir = sandbox.scratch.appendingPathComponent("etc-plumb")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return dir.path
    }

    @Test("one invalid manifest is named by path and line; the valid ones apply, verify and destroy")
    func invalidOneDoesNotStopOthers() async throws {
        try await Heavy.run {
            let sandbox = try Sandbox()
            let bad = "version: 1\nname: bad\ncontainers:\n  - name: x\n    netns: 5\n"
            let dir = try Self.directory(sandbox, ["20-beta.yaml": Self.net("beta", "brb", 21), "10-alpha.yml": Self.net("alpha", "bra", 20),
                                                   "15-bad.yaml": bad, ".swap.yaml": bad, "notes.txt": "not a manifest"])
            let apply = try sandbox.plumb("apply", dir)
            #expect(apply.status == 1, "one manifest is invalid: the set exits 1\n\(apply)")
            #expect(apply.stderr.contains("\(dir)/15-bad.yaml") && apply.stderr.contains("(line 5)"), "\(apply)")
            #expect(!apply.stderr.contains(".swap.yaml") && !apply.stderr.contains("notes.txt"), "hidden and non-manifest files are not read\n\(apply)")
            // Name order, each under its path: alpha before beta.
            let alpha = try #require(apply.stdout.range(of: "== \(dir)/10-alpha.yml")), beta = try #require(apply.stdout.range(of: "== \(dir)/20-beta.yaml"))
            #expect(alpha.lowerBound < beta.lowerBound)
            #expect(Set(try sandbox.netnsList()) == ["alpha-ns", "beta-ns"])
            for ns in ["alpha-ns", "beta-ns"] { #expect(try sandbox.addresses(netns: ns, dev: "eth0").count == 1) }

            let verify = try sandbox.plumb("verify", dir, "--output", "json")
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [[String: Any]], "\(verify)")
            #expect(rows.map { $0["path"] as? String } == ["\(dir)/10-alpha.yml", "\(dir)/15-bad.yaml", "\(dir)/20-beta.yaml"])
            #expect(rows.compactMap { ($0["result"] as? [String: Any])?["ok"] as? Bool } == [true, true], "\(verify)")
            #expect((rows[1]["error"] as? String)?.contains("line 5") == true)

            try FileManager.default.removeItem(atPath: "\(dir)/15-bad.yaml")
            let plan = try sandbox.plumb("plan", dir, "--detailed-exitcode")
            #expect(plan.status == 0, "the fixed directory is converged\n\(plan)")
            let destroy = try sandbox.plumb("destroy", dir)
            #expect(destroy.status == 0, "\(destroy)")
            try sandbox.expectPristine(manifest: "alpha")
            try sandbox.expectPristine(manifest: "beta")
        }
    }

    @Test("a kernel refusal of one manifest names its path, rolls only it back, and the next still applies")
    func failingApplyIsolated() async throws {
        try await Heavy.run {
            let sandbox = try Sandbox()
            // beta's bridge name is taken by a foreign link: its plan refuses; gamma is fine.
            try sandbox.must(["ip", "link", "add", "brb", "type", "bridge"])
            let dir = try Self.directory(sandbox, ["a.yaml": Self.net("beta", "brb", 21), "b.yaml": Self.net("gamma", "brg", 22)])
            let apply = try sandbox.plumb("apply", dir)
            #expect(apply.status == 1, "\(apply)")
            #expect(apply.stderr.contains("plumb: error: \(dir)/a.yaml: "), "the refusal names the manifest's path\n\(apply)")
            #expect(try sandbox.netnsList() == ["gamma-ns"])
            #expect(try sandbox.links().contains("brb"), "the foreign bridge survives")
            #expect(try sandbox.plumb("destroy", dir).status == 0)
            #expect(try sandbox.links().contains("brb"), "the foreign bridge survives destroy")
        }
    }

    @Test("two files declaring one name are both refused, naming each other; nothing of them is applied")
    func sharedNameRefused() async throws {
        try await Heavy.run {
            let sandbox = try Sandbox()
            let other = Self.net("alpha", "brx", 23).replacingOccurrences(of: "alpha-ns", with: "other-ns")
            let dir = try Self.directory(sandbox, ["one.yaml": Self.net("alpha", "bra", 20), "two.yaml": other,
                                                   "three.yaml": Self.net("gamma", "brg", 22)])
            let apply = try sandbox.plumb("apply", dir)
            #expect(apply.status == 1, "\(apply)")
            #expect(apply.stderr.contains("\(dir)/one.yaml: declares name: alpha, as \(dir)/two.yaml does"), "\(apply)")
            #expect(apply.stderr.contains("\(dir)/two.yaml: declares name: alpha, as \(dir)/one.yaml does"), "\(apply)")
            #expect(try sandbox.netnsList() == ["gamma-ns"])
            _ = try sandbox.plumb("destroy", dir)
        }
    }

    @Test("an empty directory is a success that says so")
    func emptyDirectory() throws {
        let sandbox = try Sandbox()
        let dir = try Self.directory(sandbox, [:])
        let apply = try sandbox.plumb("apply", dir)
        #expect(apply.status == 0 && apply.stderr.contains("no manifests"), "\(apply)")
    }

    @Test("--wait-for-nics waits for a NIC that appears, and names one that never does")
    func waitForNICs() async throws {
        try await Heavy.run {
            let sandbox = try Sandbox()
            let nic = "version: 1\nname: tuned\nnics:\n  - name: late0\n    tuning:\n      offloads: {gro: true}\n"
            let dir = try Self.directory(sandbox, ["nic.yaml": nic])
            // The NIC appears 0.5 s after apply starts, as a driver binding at boot would.
            let apply = try sandbox.sh("(sleep 0.5; ip link add late0 type veth peer name late1) & "
                                       + "\(try PlumbBinary.path()) apply --no-verify --wait-for-nics 10 \(dir); rc=$?; wait; exit $rc")
            #expect(apply.status == 0, "\(apply)")
            #expect(apply.stderr.contains("waiting up to 10 s for NICs: late0"), "\(apply)")
            #expect(!apply.stderr.contains("no network interface"), "late0 appeared within the wait\n\(apply)")
            try FileManager.default.removeItem(atPath: "\(dir)/nic.yaml")
            try nic.replacingOccurrences(of: "late0", with: "never0").write(toFile: "\(dir)/nic.yaml", atomically: true, encoding: .utf8)
            let missing = try sandbox.plumb("apply", "--wait-for-nics", "0.3", dir)
            #expect(missing.status == 1, "\(missing)")
            #expect(missing.stderr.contains("these NICs have no network interface (driver not bound?): never0"), "\(missing)")
            _ = try sandbox.plumb("destroy", dir)
        }
    }
}
