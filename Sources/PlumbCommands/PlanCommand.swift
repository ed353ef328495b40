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
        if (saveObserved != nil || observed != nil) && ManifestSet.isDirectory(options.manifest) {
            throw ValidationError("--save-observed and --observed take one manifest, not a directory")
        }
    }

    func run() throws {
        let set = ManifestSet.load(options.manifest)
        let engine = observed == nil ? PlumbCommands.run { try makeEngine() } : nil
        let outcomes = set.each { m in try plan(m, engine: engine) }
        if options.output == .json { printSetJSON(set, outcomes.map { o in Outcome(path: o.path, result: o.result.map(PlanOutput.init)) }) }
        else { printSetText(set, outcomes) { Render.plan($0) } }
        reportFailures(set, outcomes)
        try exitForSet(outcomes, pending: { detailedExitcode && !$0.converged })
    }

    private func plan(_ m: LoadedManifest, engine: Engine?) throws -> Plan {
        let seen: RecordedObservation
        if let engine {
            let (o, r) = try engine.observe(m.layer)
            seen = RecordedObservation(observed: o, record: r, portsElsewhere: try engine.portClaims(m.layer))
            if let path = saveObserved { try seen.save(path) }
        } else {
            seen = try RecordedObservation.load(observed!)
        }
        return try Planner(layer: m.layer, observed: seen.observed, record: seen.record,
                           allowDisruptive: options.allowDisruptive, portsElsewhere: seen.portsElsewhere ?? []).applyPlan()
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
