import PlumbEngine

/// The Prometheus exposition of `manifests`: what `plumb metrics` prints and what the
/// watcher serves. `reports` (keyed by manifest name) are verify reports the caller
/// already has — the watcher's last — so a scrape does not probe again; nil runs verify now.
func metricsText(manifests: [LoadedManifest], engine: Engine, counters: WatchCounters,
                 reports: [String: VerifyReport]?) -> String {
    let snapshot = engine.metricsSnapshot(of: manifests.map { ($0.manifest, $0.identity) },
                                          counters: counters, reports: reports)
    return MetricsRenderer.text(snapshot)
}

/// The watcher's counters from Plumb's state directory; zero when it never ran. A file
/// that cannot be read is reported and counted as zero: the other metrics still matter.
func loadWatchCounters(_ store: RecordStore) -> WatchCounters {
    do { return try WatchCounters.load(from: WatchCounters.path(in: store)) } catch {
        printErr("plumb: warning: \(describe(error)); repair counters reported as 0")
        return WatchCounters()
    }
}
