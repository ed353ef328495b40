import ArgumentParser
import PlumbEngine

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "List what plumb owns on this host, per manifest.",
        discussion: "Example: plumb show --output json")

    @Option(name: .long, help: "Output format: text or json.")
    var output: OutputFormat = .text

    func run() throws {
        let store = StateStore()
        let records = PlumbCommands.run { try store.manifests().compactMap { try store.load($0) } }
        if output == .json { printJSON(records); return }
        if records.isEmpty { print("plumb owns nothing on this host."); return }
        for r in records {
            print("manifest \(r.manifest)")
            for n in r.namespaces { print("  netns \(n)") }
            for l in r.links where l.kind != "veth-peer" {
                print("  \(l.kind) \(l.name)" + (l.peerNamespace.map { " (peer in netns \($0))" } ?? ""))
            }
            for (k, v) in r.sysctls.sorted(by: { $0.key < $1.key }) { print("  sysctl \(k) (was \(v))") }
        }
    }
}
