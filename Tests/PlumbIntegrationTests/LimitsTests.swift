import Foundation
import Testing

/// Issue 12 "Must show" 3: limits are never hit by surprise. Plumb's descriptors do not
/// grow with the number of namespaces (handles are opened where needed and closed after),
/// so thousands of containers fit in the usual 1024; a limit too small to work at all
/// fails with the limit named, rolls back and leaves nothing; nothing aborts.
@Suite("Descriptor limits", .timeLimit(.minutes(10)))
struct LimitsTests {
    /// N containers over `bridges` bridges: netns, veth into its bridge, address, default route.
    static func manifest(containers n: Int, bridges: Int) -> String {
        var text = "version: 1\nname: scale\nbridges:\n"
        for k in 0..<bridges { text += "  - {name: br\(k), addresses: [10.\(k + 100).0.1/16]}\n" }
        text += "containers:\n"
        for i in 0..<n {
            let k = i % bridges, j = i / bridges
            text += "  - {name: c\(i), netns: c\(i), interfaces: [{name: eth0, veth: {bridge: br\(k), hostName: h\(i)}, "
                + "addresses: [10.\(k + 100).\(j / 250).\(j % 250 + 2)/16]}], routes: [{to: default, via: 10.\(k + 100).0.1}]}\n"
        }
        return text
    }

    /// `plumb ARGS` with the soft and hard descriptor limit set to `nofile` first.
    static func plumb(_ sandbox: Sandbox, nofile: Int, _ args: String, timeout: Duration = .seconds(300)) throws -> CommandResult {
        try sandbox.sh("ulimit -Sn \(nofile) && ulimit -Hn \(nofile) && exec \(try PlumbBinary.path()) \(args)", timeout: timeout)
    }

    /// What one run of plumb commands under a limit showed, and what was left after.
    struct Run: Sendable {
        var results: [CommandResult] = []
        var netns = 0
        var left: [String] = []
    }

    /// Each `args` under `nofile`, in a fresh sandbox; `netns` counted after the first.
    /// Thousands of namespaces take a minute in a debug build: the body runs as a `Heavy`
    /// one, never on the cooperative pool the other suites need.
    static func run(_ manifest: String, nofile: Int, _ commands: [String]) async throws -> Run {
        try await Heavy.run {
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            let m = try sandbox.writeManifest(manifest)
            var r = Run()
            for (i, c) in commands.enumerated() {
                r.results.append(try Self.plumb(sandbox, nofile: nofile, "\(c) \(m)"))
                if i == 0 { r.netns = try sandbox.netnsList().count }
            }
            r.left = try CrashTests.leftovers(sandbox)
            return r
        }
    }

    @Test("with ulimit -n 1024, 2000 containers over two bridges apply, verify, re-apply unchanged and destroy")
    func twoThousandContainersIn1024() async throws {
        let r = try await Self.run(Self.manifest(containers: 2000, bridges: 2), nofile: 1024,
                                   ["apply --no-verify", "verify", "apply --no-verify", "plan --detailed-exitcode", "destroy"])
        let (apply, verify, reapply, plan, destroy) = (r.results[0], r.results[1], r.results[2], r.results[3], r.results[4])
        try #require(apply.status == 0, "\(apply)")
        #expect(r.netns == 2000)
        #expect(verify.status == 0, "\(verify)")
        #expect(verify.stdout.contains(" 0 failed"), "\(verify)")
        #expect(reapply.status == 0, "\(reapply)")
        #expect(plan.status == 0, "re-apply left changes:\n\(plan)")
        #expect(destroy.status == 0, "\(destroy)")
        #expect(r.left.isEmpty, "left after destroy: \(r.left)")
    }

    @Test("with ulimit -n 64, 300 containers apply and destroy: the descriptors plumb holds do not grow with them")
    func threeHundredIn64() async throws {
        let r = try await Self.run(Self.manifest(containers: 300, bridges: 1), nofile: 64, ["apply", "destroy"])
        #expect(r.results[0].status == 0, "\(r.results[0])")
        #expect(r.netns == 300)
        #expect(r.results[1].status == 0, "\(r.results[1])")
        #expect(r.left.isEmpty, "left after destroy: \(r.left)")
    }

    @Test("a limit too small to work: the apply fails naming the limit, rolls back and leaves nothing; no abort",
          arguments: [6, 7, 8])
    func tooFewDescriptors(nofile: Int) async throws {
        let r = try await Self.run(Self.manifest(containers: 20, bridges: 1), nofile: nofile, ["apply"])
        let apply = r.results[0]
        #expect(apply.status == 1, "expected a clean failure (exit 1), not a crash or success:\n\(apply)")
        #expect(apply.stderr.contains("EMFILE"), "\(apply)")
        #expect(apply.stderr.contains("limit \(nofile)"), "the limit is not named:\n\(apply)")
        #expect(r.netns == 0 && r.left.isEmpty, "left after the failed apply: \(r.netns) netns, \(r.left)")
    }
}
