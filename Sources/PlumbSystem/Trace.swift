import Glibc

/// PLUMB_TRACE=1: one line per milestone of a run on stderr — the wall clock (µs since the
/// epoch, comparable with a runtime's own `date +%s%N` before it started Plumb), the ms
/// since the previous milestone and since the first — so a slow CNI ADD can be taken
/// apart without strace, whose overhead distorts exactly the short steps being measured.
/// Off (one environment lookup, then a branch) unless set.
public enum Trace {
    nonisolated(unsafe) static var enabled: Bool = getenv("PLUMB_TRACE").map { String(cString: $0) == "1" } ?? false
    nonisolated(unsafe) static var first: Int64 = 0
    nonisolated(unsafe) static var last: Int64 = 0

    /// Marks a milestone; `what` is built only when tracing is on.
    public static func mark(_ what: @autoclosure () -> String) {
        guard enabled else { return }
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let now = Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
        if first == 0 { first = now; last = now }
        let line = "plumb-trace \(now) +\(ms(now - last)) =\(ms(now - first)) \(what())\n"
        last = now
        _ = line.withCString { write(2, $0, strlen($0)) }
    }

    static func ms(_ us: Int64) -> String {
        let frac = String(us % 1000 / 10)
        return "\(us / 1000).\(frac.count < 2 ? "0" + frac : frac)"
    }
}
