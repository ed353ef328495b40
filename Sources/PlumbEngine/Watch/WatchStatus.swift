import Foundation

/// What the watcher knows, for the metrics endpoint on another thread: each manifest's
/// last verify report, its pending plan steps, and its repair counts. Locked: the
/// reconciler writes, scrapes read.
public final class WatchStatus: @unchecked Sendable {
    public struct Entry: Sendable {
        public var lastReport: VerifyReport?
        public var driftSteps = 0
        public var repairs = 0
        public var failedRepairs = 0
    }
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]

    /// A copy of every manifest's entry, by manifest name.
    public func snapshot() -> [String: Entry] { lock.withLock { entries } }

    func verified(_ name: String, _ r: VerifyReport) { lock.withLock { entries[name, default: Entry()].lastReport = r } }
    func drift(_ name: String, steps: Int) { lock.withLock { entries[name, default: Entry()].driftSteps = steps } }
    func repaired(_ name: String, ok: Bool) {
        lock.withLock {
            if ok { entries[name, default: Entry()].repairs += 1 } else { entries[name, default: Entry()].failedRepairs += 1 }
        }
    }
    /// After a reload: manifests no longer watched drop out of the metrics.
    func keep(only names: [String]) { lock.withLock { entries = entries.filter { names.contains($0.key) } } }

    func totals() -> String {
        let all = snapshot().values
        return "\(all.map(\.repairs).reduce(0, +)) repairs, \(all.map(\.failedRepairs).reduce(0, +)) failed"
    }
}
