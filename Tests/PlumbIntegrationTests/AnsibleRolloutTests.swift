import Foundation
import Testing

/// The README's rollout example (`ansible/examples/rollout.yml`) as an operator runs it, with
/// an inventory whose `plumb_nodes` is this sandbox's localhost: it copies the manifest and
/// converges it, and a second run changes nothing.
@Suite("Ansible rollout example", .timeLimit(.minutes(10)))   // time waiting in Heavy's queue counts
struct AnsibleRolloutTests {
    static let example = PlumbBinary.packageRoot.appendingPathComponent("ansible/examples")

    struct Outcome: Sendable {
        var syntax: AnsiblePlaybook.Run, first: AnsiblePlaybook.Run, second: AnsiblePlaybook.Run
        var copied: Bool, netns: [String]
    }

    @Test("rollout.yml: syntax-checks with the example inventory; copies and applies the demo manifest; then ok")
    func rollout() async throws {
        let o = try await Heavy.run { () throws -> Outcome in
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            var ansible = try AnsiblePlaybook(sandbox)
            let playbook = Self.example.appendingPathComponent("rollout.yml").path
            let syntax = try ansible.run(["--syntax-check", "-i", Self.example.appendingPathComponent("inventory.ini").path, playbook])
            let inventory = try sandbox.writeManifest("[plumb_nodes]\nlocalhost ansible_connection=local\n", fileName: "inventory.ini")
            // The nodes' manifest directory is in the scratch directory, never /etc; the test
            // runs as root already, and this machine need not have sudo for `become`.
            let args = ["-i", inventory, playbook, "-e", "ansible_become=false",
                        "-e", "plumb_manifest_dir=\(sandbox.scratch.path)/etc-plumb", "-e", "plumb_binary=\(try PlumbBinary.path())"]
            let first = try ansible.run(args)
            let copied = FileManager.default.fileExists(atPath: "\(sandbox.scratch.path)/etc-plumb/demo.yaml")
            let netns = try sandbox.netnsList().sorted()
            let second = try ansible.run(args)
            return Outcome(syntax: syntax, first: first, second: second, copied: copied, netns: netns)
        }
        #expect(o.syntax.command.succeeded, "syntax check:\n\(o.syntax)")
        #expect(o.first.command.succeeded && o.first.recap["failed"] == 0, "first rollout:\n\(o.first)")
        #expect(o.first.recap["changed"] == 3, "directory, copy and plumb change on the first run:\n\(o.first.command)")
        #expect(o.first.command.stdout.contains("steps applied; verify OK"), "\(o.first.command)")
        #expect(o.copied, "the manifest was not copied to the node's manifest directory")
        #expect(o.netns == AnsibleTests.containers)
        #expect(o.second.command.succeeded && o.second.recap["changed"] == 0, "second rollout:\n\(o.second.command)")
    }
}
