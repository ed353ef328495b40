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

        Example: plumb apply manifests/demo.yaml
        """)

    @OptionGroup var options: ManifestOptions

    @Flag(help: "Skip verification after applying.")
    var noVerify = false

    func run() throws {
        let m = loadManifest(options.manifest)
        let (plan, report) = PlumbCommands.run { () -> (Plan, VerifyReport?) in
            let engine = try makeEngine(allowDisruptive: options.allowDisruptive)
            let plan = try engine.apply(m.layer, progress: progressPrinter(enabled: true))
            return (plan, noVerify ? nil : try engine.verify(m.layer))
        }
        if options.output == .json {
            printJSON(ApplyOutput(plan: PlanOutput(plan), verify: report))
        } else {
            print(plan.converged ? Render.plan(plan) : Render.plan(plan, verb: "Applied"))
            if let report { print(Render.report(report)) }
        }
        if let report, !report.ok { throw Exit.verifyFailed }
    }
}

struct ApplyOutput: Encodable {
    var plan: PlanOutput
    var verify: VerifyReport?
}
