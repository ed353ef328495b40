import ArgumentParser
import PlumbEngine
import PlumbManifest

/// The manifest without the containers that have no netns (hook-only entries):
/// their resources live in their own layers, destroyed above.
func withoutHookOnlyContainers(_ m: Manifest) -> Manifest {
    var out = m
    out.containers = m.containers.filter { $0.netns != nil }
    return out
}

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
        let manifest = try loadManifest(options.manifest, requireNetns: false)
        let plan = PlumbCommands.run { () -> Plan in
            // Container layers the OCI hook left (NAME--CONTAINER) go first, then the manifest's own.
            var steps: [Step] = []
            for c in manifest.containers where StateStore().manifests().contains(Layers.containerName(manifest.name, c.name)) {
                steps += try Engine(manifest: Layers.container(manifest, c, netns: nil)).destroy().steps
            }
            steps += try Engine(manifest: withoutHookOnlyContainers(manifest)).destroy().steps
            return Plan(manifest: manifest.name, steps: steps)
        }
        if options.output == .json { printJSON(PlanOutput(plan)) }
        else if plan.converged { print("Nothing to destroy for manifest \(manifest.name).") }
        else { print(Render.plan(plan, verb: "Destroyed")) }
    }
}
