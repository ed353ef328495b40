import Foundation

/// What the watcher knows, for the metrics endpoint on another thread: each manifest's
/// last verify report and pending plan steps, and the repair counters (`WatchCounters`,
/// also kept in Plumb's state directory so `plumb metrics`, another process, exports them).
/// Locked: the reconciler writes, scrapes read.
public final class WatchStatus: @unchecked Sendable {
    public struct Entry: Sendable {
        public var lastReport: VerifyReport?
        public var driftSteps = 0
    }
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private var counters = WatchCounters()
    /// Where the counters are saved after each repair; nil keeps them in memory only.
    let countersPath: String?

    init(countersPath: String?) {
        self.countersPath = countersPath
        // Counters go on across a restart of the watcher (they start again at boot: tmpfs).
        if let countersPath, let saved = try? WatchCounters.load(from: countersPath) { counters = saved }
    }

    /// A copy of every manifest's entry, by manifest name.
    public func snapshot() -> [String: Entry] { lock.withLock { entries } }
    /// The last verify report of each manifest that has one, by name: what a scrape exports.
    public func reports() -> [String: VerifyReport] { snapshot().compactMapValues(\.lastReport) }
    public func repairCounters() -> WatchCounters { lock.withLock { counters } }

    func verified(_ name: String, _ r: VerifyReport) { lock.withLock { entries[name, default: Entry()].lastReport = r } }
    func drift(_ name: String, steps: Int) { lock.withLock { entries[name, default: Entry()].driftSteps = steps } }

    /// Counts a repair and saves the counters (a failure to save is not the repair's failure).
    func repaired(_ name: String, ok: Bool) {
        let now = lock.withLock { () -> WatchCounters in
            counters.recordRepair(manifest: name, succeeded: ok)
            return counters
        }
        if let countersPath { try? now.save(to: countersPath) }
    }

    /// After a reload: manifests no longer watched drop out of the reports.
    func keep(only names: [String]) { lock.withLock { entries = entries.filter { names.contains($0.key) } } }

    func totals() -> String {
        let all = repairCounters().manifests.values
        return "\(all.map(\.repairs).reduce(0, +)) repairs, \(all.map(\.failedRepairs).reduce(0, +)) failed"
    }
}
