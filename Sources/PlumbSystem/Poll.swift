import Glibc

/// Bounded polling for state the kernel reaches asynchronously (VF netdevs, carrier):
/// re-read with a short interval until ready or a deadline, never a fixed sleep.
/// Synchronous: for the dedicated threads the kernel layers run on.
public enum Poll {
    /// Calls `check` until it returns a value (returned) or `timeout` has passed (nil).
    /// `check` runs at least once, and once more at the deadline.
    public static func until<T>(timeout: Duration, interval: Duration = .milliseconds(50),
                                _ check: () throws -> T?) rethrows -> T? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if let value = try check() { return value }
            let now = clock.now
            if now >= deadline { return nil }
            sleep(min(interval, now.duration(to: deadline)))
        }
    }

    /// nanosleep for `d`, resumed after signals.
    public static func sleep(_ d: Duration) {
        let (s, atto) = d.components
        var req = timespec(tv_sec: Int(s), tv_nsec: Int(atto / 1_000_000_000))
        var rem = timespec()
        while nanosleep(&req, &rem) != 0 && errno == EINTR { req = rem }
    }

    /// Seconds to 1/100, for messages ("0.3", "10.0").
    public static func seconds(_ d: Duration) -> Double {
        let (s, atto) = d.components
        return Double(s) + Double(atto / 10_000_000_000_000_000) / 100
    }
}
