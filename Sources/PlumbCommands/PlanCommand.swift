import ArgumentParser
import PlumbEngine

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what apply would change. Changes nothing.",
        discussion: """
        With --detailed-exitcode: exit 0 when the kernel matches the manifest,
        2 when changes are pending (drift), 1 on error — for CI.

        Example: plumb plan manifests/demo.yaml --detailed-exitcode
        """)

    @OptionGroup var options: ManifestOptions

    @Flag(help: "Exit 2 when changes are pending, 0 when converged.")
    var detailedExitcode = false

    func run() throws {
        let manifest = try loadManifest(options.manifest)
        let plan = PlumbCommands.run { try Engine(manifest: manifest).plan() }
        if options.output == .json { printJSON(PlanOutput(plan)) } else { print(Render.plan(plan)) }
        if detailedExitcode && !plan.converged { throw Exit.changesPending }
    }
}

/// `plan --output json`: {"manifest", "converged", "steps": [{action, object, namespace, summary, command}]}.
struct PlanOutput: Encodable {
    struct StepOut: Encodable { var action, object, namespace, summary, command: String }
    var manifest: String
    var converged: Bool
    var steps: [StepOut]
    init(_ p: Plan) {
        manifest = p.manifest; converged = p.converged
        steps = p.steps.map { StepOut(action: $0.action.rawValue, object: $0.object, namespace: $0.namespace,
                                      summary: $0.summary, command: $0.command) }
    }
}
