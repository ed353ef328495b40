import ArgumentParser
import PlumbEngine

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "List what plumb owns on this host, or one NIC's receive-path report.",
        discussion: """
        Without --nic: every manifest's recorded namespaces, links, VFs, sysctls and tables.
        With --nic NAME: the NIC's rings, channels, coalescing, GRO, queue IRQ spread and
        error counters — what `ethtool -g -l -c -k -S` and /proc/interrupts show by hand —
        with warnings where the receive path looks starved.

        Examples:
          plumb show --output json
          plumb show --nic eth1
        """)

    @Option(name: .long, help: "Output format: text or json.")
    var output: OutputFormat = .text

    @Option(help: "Show the receive-path report of this NIC instead.")
    var nic: String?

    func run() throws {
        if let nic { return showNIC(nic) }
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
            for v in r.movedVFs { print("  vf \(v.index) of \(v.pf) as \(v.name) in netns \(v.namespace)") }
            if let t = r.firewallTable { print("  nftables table \(t)") }
            for (k, v) in r.sysctls.sorted(by: { $0.key < $1.key }) { print("  sysctl \(k) (was \(v))") }
            for (k, v) in r.nicOriginals.sorted(by: { $0.key < $1.key }) {
                print("  \(k): " + v.sorted(by: { $0.key < $1.key }).map { "\($0.key) was \($0.value)" }.joined(separator: ", "))
            }
        }
    }

    func showNIC(_ name: String) {
        let report = PlumbCommands.run { try NICReporter.current(name) }
        if output == .json { printJSON(report); return }
        print("nic \(report.name) (driver \(report.driver.isEmpty ? "unknown" : report.driver))")
        report.checks.forEach { print(Render.row($0)) }
    }
}
