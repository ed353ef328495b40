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

    @Test("with ulimit -n 1024, 2000 containers over two bridges apply, verify, re-apply unchanged and destroy")
    func twoThousandContainersIn1024() throws {
        let sandbox = try Sandbox()
        defer { sandbox.close() }
        let m = try sandbox.writeManifest(Self.manifest(containers: 2000, bridges: 2))
        let apply = try Self.plumb(sandbox, nofile: 1024, "apply --no-verify \(m)")
        try #require(apply.status == 0, "\(apply)")
        #expect(try sandbox.netnsList().count == 2000)
        let verify = try Self.plumb(sandbox, nofile: 1024, "verify \(m)")
        #expect(verify.status == 0, "\(verify)")
        #expect(verify.stdout.contains(" 0 failed"), "\(verify)")
        let reapply = try Self.plumb(sandbox, nofile: 1024, "apply --no-verify \(m)")
        #expect(reapply.status == 0, "\(reapply)")
        let plan = try Self.plumb(sandbox, nofile: 1024, "plan --detailed-exitcode \(m)")
        #expect(plan.status == 0, "re-apply left changes:\n\(plan)")
        let destroy = try Self.plumb(sandbox, nofile: 1024, "destroy \(m)")
        #expect(destroy.status == 0, "\(destroy)")
        try sandbox.expectPristine(manifest: m)
    }

    @Test("with ulimit -n 64, 300 containers apply and destroy: the descriptors plumb holds do not grow with them")
    func threeHundredIn64() throws {
        let sandbox = try Sandbox()
        defer { sandbox.close() }
        let m = try sandbox.writeManifest(Self.manifest(containers: 300, bridges: 1))
        let apply = try Self.plumb(sandbox, nofile: 64, "apply \(m)")
        #expect(apply.status == 0, "\(apply)")
        #expect(try sandbox.netnsList().count == 300)
        let destroy = try Self.plumb(sandbox, nofile: 64, "destroy \(m)")
        #expect(destroy.status == 0, "\(destroy)")
        try sandbox.expectPristine(manifest: m)
    }

    @Test("a limit too small to work: the apply fails naming the limit, rolls back and leaves nothing; no abort",
          arguments: [6, 7, 8])
    func tooFewDescriptors(nofile: Int) throws {
        let sandbox = try Sandbox()
        defer { sandbox.close() }
        let m = try sandbox.writeManifest(Self.manifest(containers: 20, bridges: 1))
        let apply = try Self.plumb(sandbox, nofile: nofile, "apply \(m)")
        #expect(apply.status == 1, "expected a clean failure (exit 1), not a crash or success:\n\(apply)")
        #expect(apply.stderr.contains("EMFILE"), "\(apply)")
        #expect(apply.stderr.contains("limit \(nofile)"), "the limit is not named:\n\(apply)")
        try sandbox.expectPristine(manifest: m)
    }
}
