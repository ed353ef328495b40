import PlumbEngine

/// The Prometheus exposition of `manifests`: what `plumb metrics` prints and what the
/// watcher serves. `reports` (keyed by manifest name) are verify reports the caller
/// already has — the watcher's last — so a scrape does not probe again; nil runs verify now.
/// `refused`: the errors of a directory's invalid manifests (counted, and shown as comments).
func metricsText(manifests: [LoadedManifest], engine: Engine, counters: WatchCounters,
                 reports: [String: VerifyReport]?, refused: [String] = []) -> String {
    var snapshot = engine.metricsSnapshot(of: manifests.map { ($0.manifest, $0.identity) },
                                          counters: counters, reports: reports)
    snapshot.refusedManifests = refused.count
    snapshot.problems = refused + snapshot.problems
    return MetricsRenderer.text(snapshot)
}

/// The manifests the arguments name (files, or directories of them, as `plumb apply` takes
/// them): the valid ones, and each refused one's error naming its path. An invalid single
/// file ends the command (exit 1), as for every command.
func loadMeasured(_ paths: [String]) -> (manifests: [LoadedManifest], refused: [String]) {
    var manifests: [LoadedManifest] = [], refused: [String] = []
    for path in paths {
        let set = ManifestSet.load(path, requireNetns: false)
        for o in set.each({ $0 }) {
            if let m = o.value { manifests.append(m) }
            if let e = o.error { refused.append(describeNamingPath(e, o.path, set.isDirectory)) }
        }
    }
    return (manifests, refused)
}

/// The watcher's counters from Plumb's state directory; zero when it never ran. A file
/// that cannot be read is reported and counted as zero: the other metrics still matter.
func loadWatchCounters(_ store: RecordStore) -> WatchCounters {
    do { return try WatchCounters.load(from: WatchCounters.path(in: store)) } catch {
        printErr("plumb: warning: \(describe(error)); repair counters reported as 0")
        return WatchCounters()
    }
}
