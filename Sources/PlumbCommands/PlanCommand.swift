import ArgumentParser
import PlumbEngine

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what apply would change. Changes nothing.",
        discussion: """
        With --detailed-exitcode: exit 0 when the kernel matches the manifest,
        2 when changes are pending (drift), 1 on error — for CI.

        --save-observed FILE records the kernel state the plan was made from;
        --observed FILE plans against such a recording instead of the kernel
        (no privileges needed: the planner is pure).

        Examples:
          plumb plan manifests/demo.yaml --detailed-exitcode
          plumb plan manifests/demo.yaml --save-observed /tmp/seen.json
          plumb plan manifests/demo.yaml --observed /tmp/seen.json
        """)

    @OptionGroup var options: ManifestOptions

    @Flag(help: "Exit 2 when changes are pending, 0 when converged.")
    var detailedExitcode = false

    @Option(help: "Write the observed kernel state (and ownership record) to this file.")
    var saveObserved: String?

    @Option(help: "Plan against this recorded observation instead of the kernel.")
    var observed: String?

    func validate() throws {
        if saveObserved != nil && observed != nil {
            throw ValidationError("--save-observed and --observed exclude each other")
        }
    }

    func run() throws {
        let m = loadManifest(options.manifest)
        let plan = PlumbCommands.run { () -> Plan in
            let seen: RecordedObservation
            if let path = observed {
                seen = try RecordedObservation.load(path)
            } else {
                let engine = try makeEngine()
                let (o, r) = try engine.observe(m.layer)
                seen = RecordedObservation(observed: o, record: r, portsElsewhere: try engine.portClaims(m.layer))
                if let path = saveObserved { try seen.save(path) }
            }
            return try Planner(layer: m.layer, observed: seen.observed, record: seen.record,
                               allowDisruptive: options.allowDisruptive, portsElsewhere: seen.portsElsewhere ?? []).applyPlan()
        }
        if options.output == .json { printJSON(PlanOutput(plan)) } else { print(Render.plan(plan)) }
        if detailedExitcode && !plan.converged { throw Exit.changesPending }
    }
}

/// `plan --output json`: {"manifest", "converged", "steps": [{action, object, namespace, summary, command}], "notes"}.
struct PlanOutput: Encodable {
    struct StepOut: Encodable { var action, object, namespace, summary, command: String }
    var manifest: String
    var owner: String
    var converged: Bool
    var steps: [StepOut]
    var notes: [String]
    init(_ p: Plan) {
        manifest = p.owner.displayName; owner = p.owner.id.rawValue; converged = p.converged; notes = p.notes
        steps = p.steps.map { StepOut(action: $0.action.name, object: $0.action.object, namespace: $0.action.namespace.description,
                                      summary: $0.summary, command: $0.action.command) }
    }
}
