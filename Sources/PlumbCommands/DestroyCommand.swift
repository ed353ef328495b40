import ArgumentParser
import PlumbEngine
import PlumbManifest

struct DestroyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destroy",
        abstract: "Remove what plumb created for this manifest; restore what it changed.",
        discussion: """
        Deletes only the objects its ownership record lists that still carry plumb's
        mark (link aliases, the nftables table's comment, a namespace's identity), first
        for the hook containers resting on the manifest, and restores the settings it
        changed. Anything plumb did not create survives and is named in the output.
        A namespace or sysctl another manifest still uses stays for that manifest.

        Without the manifest file: --name NAME (the manifest's name; refused when several
        records carry it) or --id ID (as `plumb show` prints it).

        Examples:
          plumb destroy manifests/demo.yaml
          plumb destroy --name demo
          plumb destroy --id manifest-3f9a1c2d4e5b6a70
        """)

    @Argument(help: "The manifest (YAML or JSON), or a directory of manifests.")
    var manifest: String?

    @Option(help: "Destroy by manifest name, when the manifest file is gone.")
    var name: String?

    @Option(help: "Destroy the record with this id (`plumb show` lists them).")
    var id: String?

    @Option(name: .long, help: "Output format: text or json.")
    var output: OutputFormat = .text

    func validate() throws {
        guard [manifest != nil, name != nil, id != nil].filter({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of MANIFEST, --name NAME or --id ID")
        }
        if let id, OwnerID(rawValue: id) == nil { throw ValidationError("\"\(id)\" is not a record id like manifest-3f9a1c2d4e5b6a70") }
    }

    func run() throws {
        if let manifest { return try destroySet(ManifestSet.load(manifest, requireNetns: false)) }
        let plan = PlumbCommands.run { () -> Plan in
            let engine = try makeEngine()
            let target = try self.target(engine)
            return try engine.destroy(id: target) ?? Plan(owner: .manifest(ManifestIdentity(name: name ?? id ?? "", source: nil)), steps: [])
        }
        if output == .json { printJSON(PlanOutput(plan)) } else { print(render(plan)) }
    }

    /// A manifest file, or each manifest of a directory, each destroyed on its own.
    private func destroySet(_ set: ManifestSet) throws {
        let engine = PlumbCommands.run { try makeEngine() }
        let outcomes = set.each { m in try engine.destroy(m.owner) }
        if output == .json { printSetJSON(set, outcomes.map { o in Outcome(path: o.path, result: o.result.map(PlanOutput.init)) }) }
        else { printSetText(set, outcomes, render) }
        reportFailures(set, outcomes)
        try exitForSet(outcomes)
    }

    private func render(_ plan: Plan) -> String {
        plan.converged && plan.notes.isEmpty ? "Nothing to destroy for manifest \(plan.owner.displayName)."
            : Render.plan(plan, verb: "Destroyed")
    }

    /// The record `--id` or `--name` names.
    func target(_ engine: Engine) throws -> OwnerID {
        if let id { return OwnerID(rawValue: id)! }
        let matches = try engine.store.records().filter {
            if case .manifest(let m) = $0.owner { return m.name == name } else { return false }
        }
        guard matches.count <= 1 else {
            throw ValidationError("several records belong to a manifest named \(name!): "
                + matches.map { "\($0.id) (\($0.owner))" }.joined(separator: ", ") + "; choose one with --id")
        }
        guard let only = matches.first else { throw ValidationError("no record belongs to a manifest named \(name!); plumb show lists them") }
        return only.id
    }
}
