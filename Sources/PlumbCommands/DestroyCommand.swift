import ArgumentParser
import PlumbEngine

struct DestroyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destroy",
        abstract: "Remove what plumb created for this manifest; restore what it changed.",
        discussion: """
        Deletes only the namespaces and links recorded in /run/plumb/NAME.json that
        still carry plumb's alias, and restores the sysctls it changed. Anything
        plumb did not create survives.

        Example: plumb destroy manifests/demo.yaml
        """)

    @OptionGroup var options: ManifestOptions

    func run() throws {
        let manifest = try loadManifest(options.manifest)
        let plan = PlumbCommands.run { try Engine(manifest: manifest).destroy() }
        if options.output == .json { printJSON(PlanOutput(plan)) }
        else if plan.converged { print("Nothing to destroy for manifest \(manifest.name).") }
        else { print(Render.plan(plan, verb: "Destroyed")) }
    }
}
