/// Semantic checks of a decoded manifest: names, uniqueness, references, addressing, ranges.
/// Pure (no kernel): what the kernel alone can tell (sriov_totalvfs, …) the engine checks.
public enum Validator {
    /// Every problem of `m`, in file order. `requireNetns: false` for the OCI hook, which
    /// supplies the namespace of a container that leaves `netns` out.
    public static func validate(_ m: Manifest, requireNetns: Bool = true) -> [ManifestDiagnostic] {
        ManifestDiagnostic.sortedByLine(findings(m, requireNetns: requireNetns).map(\.diagnostic))
    }

    static func findings(_ m: Manifest, requireNetns: Bool) -> [Finding] {
        var checks = Checks(m: m, requireNetns: requireNetns)
        checks.checkNames()
        checks.checkUniqueness()
        checks.checkReferences()
        checks.checkAddresses()
        checks.checkRanges()
        checks.checkPolicyRouting()
        checks.checkKernelForms()
        return checks.findings
    }
}

/// A problem plus every path it rests on. The loader drops a finding that rests on a value
/// the decoder already rejected, so one typo yields one error instead of a cascade.
struct Finding {
    var diagnostic: ManifestDiagnostic
    var involves: [String]
}

/// The checks' shared state: the manifest and the findings so far (one file per kind of check).
struct Checks {
    let m: Manifest
    let requireNetns: Bool
    private(set) var findings: [Finding] = []

    init(m: Manifest, requireNetns: Bool) {
        self.m = m; self.requireNetns = requireNetns
    }

    mutating func report(_ path: String, _ message: String, involving: [String] = []) {
        let d = ManifestDiagnostic(path: path, line: m.lines.line(of: path), message: message)
        findings.append(Finding(diagnostic: d, involves: [path] + involving))
    }

    /// Where an earlier declaration is, for "already declared at line 5".
    func place(_ path: String) -> String {
        m.lines.line(of: path).map { "line \($0)" } ?? path
    }

    /// Every container interface with its paths, the unit most checks walk.
    var interfaceSites: [InterfaceSite] {
        m.containers.enumerated().flatMap { ci, c in
            c.interfaces.enumerated().map { ii, i in InterfaceSite(containerIndex: ci, container: c, index: ii, interface: i) }
        }
    }
}

struct InterfaceSite {
    let containerIndex: Int
    let container: Container
    let index: Int
    let interface: Interface

    var containerPath: String { ManifestPath.index("containers", containerIndex) }
    var path: String { ManifestPath.index(containerPath + ".interfaces", index) }
    /// "interface eth0 of container web", as users name it.
    var label: String { "interface \(interface.name) of container \(container.name)" }
}
