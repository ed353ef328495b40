import ArgumentParser
import PlumbEngine

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check each container's receive path, with a real packet. Changes nothing.",
        discussion: """
        Per container and interface: the namespace is the one plumb recorded (not the
        host's), link present and up, MTU, addresses, routes, the host end's bridge
        port, and an active probe (an ICMP echo to the gateway sent from inside the
        namespace; the reply must arrive and rx counters must move).
        A container entry the OCI hook provisions (no netns) is verified in the
        container it is bound to; when no container runs it, it is skipped.
        Exit 0 when every check passes, 3 otherwise.

        Example: plumb verify manifests/demo.yaml --output json
        """)

    @OptionGroup var options: ManifestOptions

    func run() throws {
        let m = loadManifest(options.manifest, requireNetns: false)
        let report = PlumbCommands.run { try makeEngine().verifyManifest(m.manifest, identity: m.identity) }
        if options.output == .json { printJSON(report) } else { print(Render.report(report)) }
        if !report.ok { throw Exit.verifyFailed }
    }
}
