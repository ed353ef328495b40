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
        let manifest = try loadManifest(options.manifest)
        let json = options.output == .json
        let (plan, report) = PlumbCommands.run { () -> (Plan, VerifyReport?) in
            let engine = try Engine(manifest: manifest)
            engine.allowDisruptive = options.allowDisruptive
            let plan = try engine.apply(faultStep: faultStep(), progress: progressPrinter(enabled: true))
            return (plan, noVerify ? nil : try engine.verify())
        }
        if json {
            printJSON(ApplyOutput(plan: PlanOutput(plan), verify: report))
        } else {
            print(plan.converged ? Render.plan(plan) : Render.plan(plan, verb: "Applied"))
            if let report { print(Render.report(report)) }
        }
        if let report, !report.ok { throw Exit.verifyFailed }
    }

    /// The test-only fault seam: PLUMB_FAULT_STEP=k fails step k (debug builds only).
    func faultStep() -> Int? {
        ProcessInfo.processInfo.environment["PLUMB_FAULT_STEP"].flatMap { Int($0) }
    }
}

struct ApplyOutput: Encodable {
    var plan: PlanOutput
    var verify: VerifyReport?
}
