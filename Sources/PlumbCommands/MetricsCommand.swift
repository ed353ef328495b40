import ArgumentParser
import Foundation
import PlumbEngine
import PlumbSystem

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Print Prometheus metrics for the manifests: verify checks, interface and VF counters, softnet, drift, repairs.",
        discussion: """
        Takes manifests and directories of them (every *.yaml, *.yml and *.json,
        as apply does; an invalid one in a directory is reported on stderr,
        counted in plumb_manifests_refused and skipped). For each manifest:
        verify (the probes included), the plan's pending steps (drift), its
        container interfaces' and VFs' counters, and the repairs plumb watch
        counted; softnet per CPU once. Prints them in Prometheus' text format
        0.0.4 and changes nothing. What could not be read is a comment line
        (# plumb: …), never a label; a failing check is a 0, not an error.

        For node_exporter's textfile collector, write to a temporary name and
        rename it (the collector must never read half a file):
          DIR=/var/lib/node_exporter/textfile
          plumb metrics /etc/plumb > $DIR/plumb.prom.$$ &&
            mv $DIR/plumb.prom.$$ $DIR/plumb.prom

        With --listen ADDR:PORT (IPv6: [ADDR]:PORT), serves GET /metrics
        instead, collected afresh for each scrape, until SIGTERM or SIGINT.
        """)

    @Argument(help: "The manifests (YAML or JSON), or directories of manifests.")
    var manifests: [String]

    @Option(help: "Serve the metrics over HTTP at ADDR:PORT instead of printing them once.")
    var listen: String?

    func validate() throws {
        if manifests.isEmpty { throw ValidationError("name at least one manifest") }
        if let listen, case .failure(let e) = ListenAddress.parse(listen) { throw ValidationError(e.description) }
    }

    func run() throws {
        let (loaded, refused) = loadMeasured(manifests)
        for e in refused { printErr("plumb: error: \(e)") }
        guard let listen, case .success(let address) = ListenAddress.parse(listen) else {
            let engine = PlumbCommands.run { try makeEngine() }
            print(metricsText(manifests: loaded, engine: engine, counters: loadWatchCounters(engine.store), reports: nil,
                              refused: refused), terminator: "")
            return
        }
        serve(loaded, refused: refused, at: address)
    }

    /// Serves until SIGTERM/SIGINT. Each scrape makes its own engine on the server's one
    /// thread: nothing of an engine is shared between threads.
    func serve(_ loaded: [LoadedManifest], refused: [String], at address: ListenAddress) {
        var signals = blockTerminationSignals()
        let server = PlumbCommands.run {
            try MetricsServer(address: address) {
                do {
                    let engine = try makeEngine()
                    return metricsText(manifests: loaded, engine: engine, counters: loadWatchCounters(engine.store),
                                       reports: nil, refused: refused)
                } catch {
                    return "# plumb: \(describe(error).split(separator: "\n").joined(separator: " "))\n"
                }
            }
        }
        PlumbCommands.run { try server.start() }
        printErr("plumb: serving metrics on http://\(server.address)/metrics")
        var got: Int32 = 0
        sigwait(&signals, &got)
        server.stop()
    }
}

/// SIGTERM and SIGINT, blocked in this thread (and the threads it starts after) so that
/// `sigwait` receives them instead of the default action killing the process mid-answer.
private func blockTerminationSignals() -> sigset_t {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGTERM)
    sigaddset(&set, SIGINT)
    pthread_sigmask(SIG_BLOCK, &set, nil)
    return set
}
