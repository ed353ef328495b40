import PlumbEngine
import PlumbNetlink
import PlumbTypes

/// The whole fake kernel as a value: everything a user could list with `ip`, `nft`,
/// `ethtool`, sysfs and procfs (not the kernel's internal counters: the next ifindex
/// or inode). Two snapshots are equal exactly when nothing observable differs.
struct FakeSnapshot: Equatable {
    struct Namespace: Equatable {
        var identity: NamespaceIdentity
        /// How it is reached: "host", "netns web", "pid 42", a path.
        var names: [String]
        var links: [LinkInfo]
        var addresses: [String]
        var routes: [String]
        var neighbours: [String]
        var sysctls: [String: String]
    }

    var namespaces: [Namespace]
    var placeholders: [String]
    var pfs: [String]
    var eswitches: [String] = []
    var nics: [String]
    var irqAffinity: [Int: CPUSet]
    var files: [String: String]
    var tables: [String: String]

    /// One line per fact, for a readable difference.
    var lines: [String] {
        var out: [String] = []
        for ns in namespaces {
            let at = ns.names.joined(separator: ",")
            out.append("\(at) \(ns.identity)")
            out += ns.links.map { "\(at) link \($0)" }
            out += ns.addresses.map { "\(at) addr \($0)" }
            out += ns.routes.map { "\(at) route \($0)" }
            out += ns.neighbours.map { "\(at) neigh \($0)" }
            out += ns.sysctls.sorted { $0.key < $1.key }.map { "\(at) sysctl \($0.key)=\($0.value)" }
        }
        out += placeholders.map { "placeholder \($0)" }
        out += pfs + nics
        out += irqAffinity.sorted { $0.key < $1.key }.map { "irq \($0.key) → \($0.value)" }
        out += files.sorted { $0.key < $1.key }.map { "file \($0.key): \($0.value)" }
        out += tables.sorted { $0.key < $1.key }.map { "table \($0.key):\n\($0.value)" }
        return out
    }

    /// "+ fact" for what `self` has and `other` has not, "- fact" for the reverse.
    func differences(from other: FakeSnapshot) -> String {
        let mine = lines, theirs = other.lines
        let diff = mine.filter { !theirs.contains($0) }.map { "+ \($0)" } + theirs.filter { !mine.contains($0) }.map { "- \($0)" }
        return diff.isEmpty ? "(no difference)" : diff.joined(separator: "\n")
    }
}

extension FakeKernel {
    func snapshot() -> FakeSnapshot {
        let spaces = namespaces.values.sorted { $0.identity.inode < $1.identity.inode }.map { ns in
            FakeSnapshot.Namespace(
                identity: ns.identity, names: names(of: ns.id),
                links: ns.links.values.sorted { $0.index < $1.index }.map { info($0, in: ns.id) },
                addresses: ns.addresses.map { "\($0.index) \($0.prefix) scope \($0.scope)" }.sorted(),
                routes: (connectedRoutes(ns) + ns.routes).map { "\($0.describe(device: "#\($0.index ?? 0)")) proto \($0.proto)" }.sorted()
                    + ns.rules.map { "rule \($0.family) \($0.text) proto \($0.proto)" }.sorted(),
                neighbours: ns.neighbours.map { "\($0.address) dev #\($0.index) state \($0.state)" }.sorted(),
                sysctls: ns.sysctls)
        }
        return FakeSnapshot(
            namespaces: spaces, placeholders: placeholders.sorted(),
            pfs: pfs.values.sorted { $0.name < $1.name }.map { "pf \($0)" },
            eswitches: eswitches.sorted { $0.key < $1.key }.map { "eswitch \($0.key) \($0.value.handle) \($0.value.mode)" },
            nics: nics.sorted { $0.key < $1.key }.map { "nic \($0.key) \($0.value)" },
            irqAffinity: irqAffinity,
            files: Dictionary(uniqueKeysWithValues: files.map { ($0.key.path, $0.value) }),
            tables: Dictionary(uniqueKeysWithValues: tables.map { ($0.key.description, $0.value) }))
    }

    func names(of id: Int) -> [String] {
        var out = id == Self.hostID ? ["host"] : []
        out += named.filter { $0.value == id }.map { "netns \($0.key)" }.sorted()
        out += processes.filter { $0.value.ns == id }.map { "pid \($0.key)" }.sorted()
        out += paths.filter { $0.value == id }.map(\.key).sorted()
        return out.isEmpty ? ["(anonymous)"] : out
    }
}
