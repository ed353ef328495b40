import ArgumentParser
import Foundation
import PlumbEngine
import PlumbSystem

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Keep manifests converged: repair drift as soon as the kernel reports it.",
        discussion: """
        Applies and verifies every manifest once, then sleeps until rtnetlink (links,
        addresses, routes, in every namespace the manifests own and on the host) or
        nf_tables reports a change — no polling. After a burst settles, it re-plans each
        manifest and repairs what drifted (a deleted or downed veth, a removed address or
        route, a flushed ruleset, a changed VF setting, a PF taken down under its VFs, a
        named namespace that was deleted), verifies the repair, and logs one line per repair to stderr: what
        changed, the steps, how long it took, the verdict. A container whose process is
        gone is not recreated (its pid namespace went with it). A repair that fails is
        retried with exponential backoff (1 s doubling to 60 s).

        SIGHUP re-reads the manifests; SIGTERM or SIGINT exits 0.

        Examples:
          plumb watch /etc/plumb
          plumb watch manifests/demo.yaml --report-only
        """)

    @Argument(help: "A manifest, or a directory of manifests.")
    var manifest: String = "/etc/plumb"

    @Flag(help: "Report drift in the log; change nothing.")
    var reportOnly = false

    @Flag(help: "Log every burst of kernel events, also those that needed no repair.")
    var verbose = false

    @Flag(help: "Allow changes that destroy live VFs.")
    var allowDisruptive = false

    func run() throws {
        // Before any thread exists: the signals must be blocked in all of them.
        let signals = PlumbCommands.run { try SignalDescriptor() }
        let events = PlumbCommands.run { try LinuxWatchEvents(signals: signals) }
        var options = Watcher.Options()
        options.reportOnly = reportOnly
        options.verbose = verbose
        let watcher = Watcher(options: options, events: events, log: { printErr("plumb watch: \($0)") }) {
            try makeEngine(allowDisruptive: allowDisruptive)
        }
        watcher.run(load: { loadWatched(manifest) })
    }
}

/// The manifests to watch; an invalid one is logged by path and line and left out, so one
/// typo does not stop the watching of the others (SIGHUP reads them again).
func loadWatched(_ path: String) -> [WatchedManifest] {
    let set = ManifestSet.load(path, watching: true)
    reportFailures(set, set.each { _ in () })
    return set.entries.compactMap { e in (try? e.loaded.get()).map { WatchedManifest(path: e.path, layer: $0.layer) } }
}
