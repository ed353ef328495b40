import CLinux
import Glibc

/// SIGHUP, SIGTERM and SIGINT as a descriptor (signalfd) for a poll(2) loop. Create it
/// before any thread: the signals are blocked in the creating thread and every thread it
/// starts afterwards, so they queue here instead of killing the process.
public final class SignalDescriptor {
    public let fd: Int32
    public enum Received: Sendable { case reload, stop }

    public init() throws {
        fd = plumb_watch_signalfd()
        guard fd >= 0 else { throw SystemError("signalfd", "SIGHUP SIGTERM SIGINT", Errno(rawValue: errno)) }
    }
    deinit { close(fd) }

    /// The signals pending now: SIGHUP is `reload`, SIGTERM and SIGINT `stop`.
    public func read() -> [Received] {
        var out: [Received] = []
        while case let sig = plumb_read_signal(fd), sig != 0 { out.append(sig == SIGHUP ? .reload : .stop) }
        return out
    }
}

/// poll(2) over a few descriptors: which are readable, waiting at most `timeout` (nil: until
/// one is). The whole of a watcher's idle time is spent in here, asleep.
public enum Readiness {
    public static func wait(_ fds: [Int32], timeout: Duration?) -> Set<Int32> {
        var pfds = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let ms: Int32 = timeout.map { d in
            let (s, atto) = d.components
            return Int32(clamping: max(0, s * 1000 + atto / 1_000_000_000_000_000 + (atto % 1_000_000_000_000_000 > 0 ? 1 : 0)))
        } ?? -1
        let n = pfds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), ms) }
        guard n > 0 else { return [] }
        return Set(pfds.filter { $0.revents != 0 }.map(\.fd))
    }
}
