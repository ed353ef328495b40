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

        Serves the metrics of `plumb metrics` at http://ADDR:PORT/metrics
        (--metrics-address, 127.0.0.1:9469 unless given; --no-metrics for none), with
        each manifest's last verify report (a scrape sends no probe) and the repairs
        made and failed, which are also kept in /run/plumb for `plumb metrics`.

        Examples:
          plumb watch /etc/plumb
          plumb watch manifests/demo.yaml --report-only
          plumb watch /etc/plumb --metrics-address '[::1]:9469'
        """)

    @Argument(help: "A manifest, or a directory of manifests.")
    var manifest: String = "/etc/plumb"

    @Flag(help: "Report drift in the log; change nothing.")
    var reportOnly = false

    @Flag(help: "Log every burst of kernel events, also those that needed no repair.")
    var verbose = false

    @Flag(help: "Allow changes that destroy live VFs.")
    var allowDisruptive = false

    @Option(help: ArgumentHelp("Serve Prometheus metrics at ADDR:PORT (IPv6: [ADDR]:PORT).", valueName: "addr:port"))
    var metricsAddress = "127.0.0.1:9469"

    @Flag(help: "Serve no metrics.")
    var noMetrics = false

    func validate() throws {
        if case .failure(let e) = ListenAddress.parse(metricsAddress) { throw ValidationError(e.description) }
    }

    func run() throws {
        // Before any thread exists: the signals must be blocked in all of them.
        let signals = PlumbCommands.run { try SignalDescriptor() }
        let events = PlumbCommands.run { try LinuxWatchEvents(signals: signals) }
        var options = Watcher.Options()
        options.reportOnly = reportOnly
        options.verbose = verbose
        let watcher = Watcher(options: options, events: events, countersPath: WatchCounters.path(in: RecordStore()),
                              log: { printErr("plumb watch: \($0)") }) { try makeEngine(allowDisruptive: allowDisruptive) }
        let watched = Watched()
        let server = noMetrics ? nil : serveMetrics(watcher.status, watched)
        watcher.run(load: { watched.load(manifest) })
        server?.stop()
    }

    /// The metrics endpoint, on a thread of its own: each scrape makes its own engine
    /// (engines are not shared across threads) and exports the watcher's last reports.
    private func serveMetrics(_ status: WatchStatus, _ watched: Watched) -> MetricsServer {
        guard case .success(let address) = ListenAddress.parse(metricsAddress) else { fatalError("validated") }
        let server = PlumbCommands.run {
            try MetricsServer(address: address) {
                do {
                    let (loaded, refused) = watched.current()
                    return metricsText(manifests: loaded, engine: try makeEngine(), counters: status.repairCounters(),
                                       reports: status.reports(), refused: refused)
                } catch {
                    return "# plumb: \(describe(error).split(separator: "\n").joined(separator: " "))\n"
                }
            }
        }
        PlumbCommands.run { try server.start() }
        printErr("plumb watch: serving metrics on http://\(server.address)/metrics")
        return server
    }
}

/// The manifests being watched, shared with the metrics thread (locked).
final class Watched: @unchecked Sendable {
    private let lock = NSLock()
    private var loaded: [LoadedManifest] = []
    private var refused: [String] = []

    func current() -> ([LoadedManifest], [String]) { lock.withLock { (loaded, refused) } }

    /// Reads `path` (a manifest or a directory): an invalid one is logged by path and line and
    /// left out, so one typo does not stop the watching of the others (SIGHUP reads them again).
    func load(_ path: String) -> [WatchedManifest] {
        let set = ManifestSet.load(path, watching: true)
        let outcomes = set.each { $0 }
        reportFailures(set, outcomes)
        lock.withLock {
            loaded = outcomes.compactMap(\.value)
            refused = outcomes.compactMap { o in o.error.map { describeNamingPath($0, o.path, true) } }
        }
        return outcomes.compactMap { o in o.value.map { WatchedManifest(path: o.path, layer: $0.layer) } }
    }
}

