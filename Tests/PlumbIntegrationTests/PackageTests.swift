import Foundation
import Testing

/// Issue 14, part 4 "Installable": the .deb from `scripts/package.sh` (scripts/test.sh builds
/// it), installed on this machine with apt as an operator would, then run where no Swift
/// toolchain exists: inside a Sandbox whose mount namespace hides /opt/swift under an empty
/// tmpfs. There the installed plugin answers the CNI commands and the installed binary applies,
/// verifies and destroys the demo; then `apt-get remove --purge` must leave none of its files.
/// The install is the machine's own (its dpkg database): CI runs as root on a machine of its
/// own, the package enables and starts nothing, and the purge runs even when a check fails.
@Suite("Debian package", .timeLimit(.minutes(10)))   // time waiting in Heavy's queue counts
struct PackageTests {
    static let toolchain = "/opt/swift"

    @Test("apt installs the .deb; with the Swift toolchain hidden, the installed plumb answers CNI and applies the demo; apt remove --purge leaves nothing")
    func installRunRemove() async throws {
        let package = try DebianPackage.built()
        let version = try package.version()
        // Not Heavy.exclusive: waiting for every permit took most of a 4-minute limit in a full
        // run. Other tests running meanwhile are unaffected by the package's few seconds on the
        // machine: none runs /usr/sbin/plumb or /opt/cni/bin, and BootTests' booted node has
        // its own units in /etc/systemd/system, which shadow the package's in /usr/lib.
        let o = try await Heavy.run { try Self.lifecycle(package) }

        #expect(o.install.succeeded, "\(o.install)")
        #expect(o.stateInstalled.hasPrefix("ii"), "dpkg's state after apt install: \(o.stateInstalled)")
        for path in ["/usr/sbin/plumb", "/usr/lib/cni/plumb", "/opt/cni/bin/plumb", "/etc/plumb",
                     "/usr/lib/systemd/system/plumb.service", "/usr/lib/systemd/system/plumb-watch.service",
                     "/usr/share/man/man8/plumb.8.gz", "/usr/share/bash-completion/completions/plumb",
                     "/usr/share/zsh/vendor-completions/_plumb", "/usr/share/fish/vendor_completions.d/plumb.fish"] {
            #expect(o.listed.contains(path), "dpkg -L plumb lacks \(path)")
        }
        #expect(o.enabledUnits.isEmpty, "installing enabled units: \(o.enabledUnits)")
        #expect(o.libraryOwners == o.depends, "Depends: names \(o.depends.sorted()); the linked libraries' packages are \(o.libraryOwners.sorted())")

        let s = o.sandbox
        #expect(s.toolchainContents.isEmpty, "\(Self.toolchain) is not hidden in the sandbox: \(s.toolchainContents)")
        #expect(s.ldd.succeeded && !s.ldd.stdout.contains("not found") && !s.ldd.stdout.contains(Self.toolchain), "\(s.ldd)")
        #expect(s.version.succeeded && s.version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == version, "\(s.version)")
        #expect(s.bashCompletion.succeeded && s.bashCompletion.stdout.contains("plumb"), "\(s.bashCompletion)")
        #expect(s.manual.succeeded && s.manual.stdout.contains("plumb apply"), "the man page: \(s.manual)")
        Self.expectCNI(s.cni)
        Self.expectDemo(s.demo)

        #expect(o.purge.succeeded, "\(o.purge)")
        #expect(o.stateAfter == nil || o.stateAfter!.hasPrefix("un") || o.stateAfter!.hasPrefix("pn"),
                "dpkg still knows plumb after the purge: \(o.stateAfter ?? "")")
        #expect(o.leftovers.isEmpty, "left behind by apt remove --purge: \(o.leftovers)")
    }

    // MARK: What the installed plugin and binary did

    static func expectCNI(_ c: CNIRun) {
        #expect(c.version.succeeded && c.version.stdout.contains("\"1.1.0\""), "VERSION: \(c.version)")
        #expect(c.addA.succeeded, "ADD: \(c.addA)")
        #expect(CNISchema.resultViolations(c.addA.stdout, cniVersion: "1.1.0", netns: "/run/netns/a", ifname: "eth0") == [],
                "ADD's result: \(c.addA.stdout)")
        #expect(c.ping.succeeded, "the container cannot reach its gateway: \(c.ping)")
        #expect(c.check.succeeded, "CHECK: \(c.check)")
        #expect(c.addB.succeeded, "the second ADD: \(c.addB)")
        #expect(c.gc.succeeded && c.portsAfterGC == 1, "GC kept \(c.portsAfterGC) host veths, expected 1: \(c.gc)")
        #expect(c.del.succeeded, "DEL: \(c.del)")
        #expect(c.portsAfterDel == 0, "DEL left \(c.portsAfterDel) host veths")
        #expect(c.status.succeeded, "STATUS: \(c.status)")
    }

    static func expectDemo(_ d: DemoRun) {
        #expect(d.apply.succeeded, "apply: \(d.apply)")
        #expect(d.netnsAfterApply == ["cache", "db", "web"], "namespaces after apply")
        #expect(d.verify.succeeded, "verify: \(d.verify)")
        #expect(d.destroy.succeeded, "destroy: \(d.destroy)")
        #expect(d.netnsAfterDestroy.isEmpty && d.linksAfterDestroy == d.linksBefore,
                "left by destroy: netns \(d.netnsAfterDestroy), links \(d.linksAfterDestroy) (before apply: \(d.linksBefore))")
    }

    // MARK: The run

    struct Outcome: Sendable {
        var install: CommandResult, stateInstalled: String, listed: [String], enabledUnits: [String]
        var depends: Set<String>, libraryOwners: Set<String>
        var sandbox: SandboxRun
        var purge: CommandResult, stateAfter: String?, leftovers: [String]
    }
    struct SandboxRun: Sendable {
        var toolchainContents: [String], ldd: CommandResult, version: CommandResult
        var bashCompletion: CommandResult, manual: CommandResult
        var cni: CNIRun, demo: DemoRun
    }

    /// Install, use, purge; the purge also runs when anything in between throws.
    static func lifecycle(_ package: DebianPackage) throws -> Outcome {
        try package.requireMachineFree()
        // What existed before: a directory the package shares (/usr/lib/cni) may stay after it.
        let before = Set(package.paths.filter(DebianPackage.isPresent))
        print("package: apt-get install \(package.path)")
        let install = try package.install()
        var purged: CommandResult?
        defer { if purged == nil { _ = try? DebianPackage.purge() } }
        guard install.succeeded else { throw SubprocessError(description: "apt-get install failed:\n\(install)") }

        let state = try DebianPackage.state() ?? "unknown"
        let listed = try DebianPackage.host(["dpkg", "-L", DebianPackage.name]).stdout
            .split(separator: "\n").map(String.init)
        let enabled = try DebianPackage.host(["/bin/sh", "-c", "ls -d /etc/systemd/system/*.wants/plumb* 2>/dev/null; true"])
            .stdout.split(separator: "\n").map(String.init)
        let owners = try DebianPackage.ownersOfLinkedLibraries("/usr/sbin/plumb")
        let run = try inSandbox()

        purged = try DebianPackage.purge()
        let leftovers = package.paths.filter { !before.contains($0) && DebianPackage.isPresent($0) }
        return Outcome(install: install, stateInstalled: state, listed: listed, enabledUnits: enabled,
                       depends: try package.dependencies(), libraryOwners: owners,
                       sandbox: run, purge: purged!, stateAfter: try DebianPackage.state(),
                       leftovers: leftovers)
    }

    /// A Sandbox in which the toolchain's directory is an empty tmpfs: the installed binary
    /// finds no Swift runtime there even if it (wrongly) looked for one.
    static func inSandbox() throws -> SandboxRun {
        let sandbox = try CNIPluginTests.sandbox()
        defer { sandbox.close() }
        try sandbox.must(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "plumb-no-toolchain", toolchain])
        return SandboxRun(
            toolchainContents: try sandbox.list(toolchain),
            ldd: try sandbox.run(["ldd", "/usr/sbin/plumb"]),
            version: try sandbox.run(["/usr/sbin/plumb", "--version"]),
            bashCompletion: try sandbox.run(["bash", "-c", ". /usr/share/bash-completion/completions/plumb && complete -p plumb"]),
            manual: try sandbox.sh("zcat /usr/share/man/man8/plumb.8.gz"),
            cni: try CNIRun.run(sandbox),
            demo: try DemoRun.run(sandbox))
    }
}

/// The CNI commands, run as a runtime runs the installed plugin: ADD and CHECK through
/// /opt/cni/bin (containerd's and kubelet's directory), the rest through /usr/lib/cni
/// (podman's), both links to /usr/sbin/plumb.
struct CNIRun: Sendable {
    var version: CommandResult, addA: CommandResult, ping: CommandResult, check: CommandResult
    var addB: CommandResult, gc: CommandResult, portsAfterGC: Int
    var del: CommandResult, portsAfterDel: Int, status: CommandResult

    static func run(_ sandbox: Sandbox) throws -> CNIRun {
        let opt = CNIPlugin(name: "/opt/cni/bin/plumb", argv: ["/opt/cni/bin/plumb"])
        let lib = CNIPlugin(name: "/usr/lib/cni/plumb", argv: ["/usr/lib/cni/plumb"])
        let config = CNIPluginTests.plumbConfig()
        let version = try sandbox.cni(lib, "VERSION", config: #"{"cniVersion": "1.1.0"}"#, ifname: nil)
        for netns in ["a", "b"] { try sandbox.must(["ip", "netns", "add", netns]) }
        let addA = try sandbox.cni(opt, "ADD", config: config, containerID: "pkg-a", netns: "/run/netns/a")
        let ping = try sandbox.ping(from: "a", "10.99.0.1")
        let check = try sandbox.cni(opt, "CHECK", config: try withPrevResult(config, addA.stdout),
                                    containerID: "pkg-a", netns: "/run/netns/a")
        let addB = try sandbox.cni(lib, "ADD", config: config, containerID: "pkg-b", netns: "/run/netns/b")
        let keepA = CNIPluginTests.plumbConfig(extra: #", "cni.dev/valid-attachments": [{"containerID": "pkg-a", "ifname": "eth0"}]"#)
        let gc = try sandbox.cni(lib, "GC", config: keepA, ifname: nil)
        // Host veths (the bridge may go with its last port: the plugin's choice).
        _ = eventually { ((try? CNIPluginTests.veths(sandbox).count) ?? 0) <= 1 }
        let portsAfterGC = try CNIPluginTests.veths(sandbox).count
        let del = try sandbox.cni(lib, "DEL", config: config, containerID: "pkg-a", netns: "/run/netns/a")
        _ = eventually { ((try? CNIPluginTests.veths(sandbox).count) ?? 1) == 0 }
        let portsAfterDel = try CNIPluginTests.veths(sandbox).count
        let status = try sandbox.cni(lib, "STATUS", config: config, ifname: nil)
        // The namespaces are the runtime's, not the plugin's: the runtime removes them.
        for netns in ["a", "b"] { try sandbox.must(["ip", "netns", "del", netns]) }
        return CNIRun(version: version, addA: addA, ping: ping, check: check, addB: addB, gc: gc,
                      portsAfterGC: portsAfterGC, del: del, portsAfterDel: portsAfterDel, status: status)
    }

    /// The config with `prevResult` set to ADD's result, as a runtime sends CHECK.
    static func withPrevResult(_ config: String, _ result: String) throws -> String {
        guard var object = CNISchema.object(config), let previous = CNISchema.object(result) else {
            throw SubprocessError(description: "ADD's result is not JSON: \(result)")
        }
        object["prevResult"] = previous
        return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }
}

/// `plumb apply`, `verify` and `destroy` of manifests/demo.yaml by the installed binary.
struct DemoRun: Sendable {
    var linksBefore: [String], apply: CommandResult, netnsAfterApply: [String], verify: CommandResult
    var destroy: CommandResult, netnsAfterDestroy: [String], linksAfterDestroy: [String]

    static func run(_ sandbox: Sandbox) throws -> DemoRun {
        let plumb = "/usr/sbin/plumb"
        let manifest = try AnsibleTests.demo(sandbox)
        let linksBefore = try sandbox.links()      // the CNI part's bridge may still be there
        let apply = try sandbox.run([plumb, "apply", manifest], timeout: .seconds(120))
        let netnsAfterApply = try sandbox.netnsList().sorted()
        let verify = try sandbox.run([plumb, "verify", manifest], timeout: .seconds(120))
        let destroy = try sandbox.run([plumb, "destroy", manifest], timeout: .seconds(120))
        _ = eventually { ((try? sandbox.links()) ?? []) == linksBefore }
        return DemoRun(linksBefore: linksBefore, apply: apply, netnsAfterApply: netnsAfterApply, verify: verify, destroy: destroy,
                       netnsAfterDestroy: try sandbox.netnsList(), linksAfterDestroy: try sandbox.links())
    }
}
