/// A manifest's repair history: how many repairs failed in a row, and when the next try is
/// due. Backoff doubles from `first` to `most`: a repair the kernel keeps refusing (a
/// missing PF, a foreign object in the way) is retried without flooding the log.
struct ManifestHealth {
    var failures = 0
    var retryAt: ContinuousClock.Instant?
    /// Why a container of it is gone for good (its process exited), said once.
    var gone: String?

    /// Records a failure; returns the wait before the next try.
    mutating func failed(at now: ContinuousClock.Instant, first: Duration, most: Duration) -> Duration {
        failures += 1
        var wait = first
        for _ in 1..<min(failures, 16) { wait = min(most, wait * 2) }
        retryAt = now.advanced(by: wait)
        return wait
    }

    mutating func succeeded() { failures = 0; retryAt = nil }

    /// Held back by backoff: events before the due time do not retry it.
    func held(_ now: ContinuousClock.Instant) -> Bool { retryAt.map { now < $0 } ?? false }
    func due(_ now: ContinuousClock.Instant) -> Bool { retryAt.map { now >= $0 } ?? false }
}
