import ArgumentParser
import Foundation
import PlumbEngine

struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Make the kernel match the manifest, then verify every container.",
        discussion: """
        Changes only what differs; a second apply changes nothing. If any kernel step
        fails, every change of this apply is undone and the error names the object,
        the operation and the errno. Exit 3 when the apply succeeded but verification failed.

        Given a directory, applies every manifest in it (*.yaml, *.yml, *.json, in name
        order), each in its own transaction: an invalid or failing one is reported on
        stderr and the others still apply; the exit is then 1.

        Examples:
          plumb apply manifests/demo.yaml
          plumb apply --wait-for-nics 60 /etc/plumb      # what plumb.service runs at boot
        """)

    @OptionGroup var options: ManifestOptions

    @Flag(help: "Skip verification after applying.")
    var noVerify = false

    @Option(help: ArgumentHelp("Wait up to this many seconds for the NICs the manifests name to appear (their drivers bound).",
                               valueName: "seconds"))
    var waitForNics: Double?

    func run() throws {
        let set = ManifestSet.load(options.manifest)
        let engine = PlumbCommands.run { try makeEngine(allowDisruptive: options.allowDisruptive) }
        if let seconds = waitForNics { waitForNICs(of: set, seconds: seconds, engine: engine) }
        let outcomes = set.each { m -> ApplyOutput in
            let plan = try engine.apply(m.layer, progress: progressPrinter(enabled: true))
            return ApplyOutput(plan: PlanOutput(plan), verify: noVerify ? nil : try engine.verify(m.layer), rendered: Render.plan(plan, verb: plan.converged ? "Plan" : "Applied"))
        }
        if options.output == .json { printSetJSON(set, outcomes) } else {
            printSetText(set, outcomes) { out in ([out.rendered] + (out.verify.map { [Render.report($0)] } ?? [])).joined(separator: "\n") }
        }
        reportFailures(set, outcomes)
        try exitForSet(outcomes, verifyFailed: { $0.verify.map { !$0.ok } ?? false })
    }
}

struct ApplyOutput: Encodable {
    var plan: PlanOutput
    var verify: VerifyReport?
    /// The text form, kept for the text output only.
    var rendered: String
    enum CodingKeys: String, CodingKey { case plan, verify }
}

/// The documented exit of a set: 1 when any manifest failed, else 3 when any verify failed.
func exitForSet<T>(_ outcomes: [Outcome<T>], verifyFailed: (T) -> Bool = { _ in false },
                   pending: (T) -> Bool = { _ in false }) throws {
    if outcomes.contains(where: { $0.error != nil }) { throw Exit.error }
    if outcomes.contains(where: { $0.value.map(verifyFailed) ?? false }) { throw Exit.verifyFailed }
    if outcomes.contains(where: { $0.value.map(pending) ?? false }) { throw Exit.changesPending }
}
