import ArgumentParser

/// `plumb`: provisions SR-IOV and container networking from a declarative manifest.
public struct PlumbCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "plumb",
        abstract: "Provision container networking (namespaces, veth, bridges, addresses, routes) from a manifest.",
        discussion: """
        Plumb turns a manifest into kernel state through netlink, verifies each
        container's receive path with a real packet, and removes only what it created.

        Exit codes: 0 success · 1 error (nothing half-applied) · 2 changes pending
        (plan --detailed-exitcode) · 3 verification failed.

        Examples:
          plumb plan manifests/demo.yaml
          plumb apply manifests/demo.yaml
          plumb verify manifests/demo.yaml --output json
          plumb destroy manifests/demo.yaml
          plumb metrics manifests/demo.yaml
        """,
        version: "0.1.0",
        subcommands: [PlanCommand.self, ApplyCommand.self, VerifyCommand.self, DestroyCommand.self, ShowCommand.self,
                      HookCommand.self, WatchCommand.self, MetricsCommand.self])

    public init() {}
}

/// Options every manifest command takes.
struct ManifestOptions: ParsableArguments {
    @Argument(help: "The manifest (YAML or JSON), or a directory of manifests (each handled on its own).")
    var manifest: String

    @Option(name: .long, help: "Output format: text or json.")
    var output: OutputFormat = .text

    @Flag(help: "Allow changes that destroy live VFs (igb must pass through 0 VFs to change a non-zero count).")
    var allowDisruptive = false
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

/// Plumb's documented exit codes.
enum Exit {
    static let error = ExitCode(1)
    static let changesPending = ExitCode(2)
    static let verifyFailed = ExitCode(3)
}
