import ArgumentParser
import PlumbEngine

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check each container's receive path, with a real packet. Changes nothing.",
        discussion: """
        Per container and interface: the namespace is the one plumb recorded (not the
        host's), link present and up, MTU, addresses, routes, the host end's bridge
        port and MTUs, and active probes: an echo to the gateway sent from inside the
        namespace must be answered from the gateway's expected MAC (the bridge's), also
        at the interface's full MTU with DF set, and rx counters must move; where the
        host ignores ICMP echo, a TCP connection to plumb's own listener on the gateway
        is the evidence instead. Published ports and masquerade are probed from an
        outside namespace plumb makes (and removes), through the host's real NAT and
        forward hooks: conntrack must name the container; a foreign rule that drops or
        redirects the traffic is named. Every check says what evidence it used.
        A container entry the OCI hook provisions (no netns) is verified in the
        container it is bound to; when no container runs it, it is skipped.
        Exit 0 when every check passes, 3 otherwise.

        Example: plumb verify manifests/demo.yaml --output json
        """)

    @OptionGroup var options: ManifestOptions

    func run() throws {
        let set = ManifestSet.load(options.manifest, requireNetns: false)
        let engine = PlumbCommands.run { try makeEngine() }
        let outcomes = set.each { m in try engine.verifyManifest(m.manifest, identity: m.identity) }
        if options.output == .json { printSetJSON(set, outcomes) } else { printSetText(set, outcomes, Render.report) }
        reportFailures(set, outcomes)
        try exitForSet(outcomes, verifyFailed: { !$0.ok })
    }
}
