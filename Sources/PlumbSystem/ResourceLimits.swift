import CLinux
import Glibc

/// Per-process limits Plumb's work needs raised.
public enum ResourceLimits {
    /// Raises the soft descriptor limit to the hard one: each namespace Plumb works in
    /// holds a few descriptors (its nsfs file, a netlink socket) and the usual soft
    /// default of 1024 is reached at a few hundred containers. Returns the limit now.
    /// Equivalent to: `ulimit -n $(ulimit -Hn)`.
    @discardableResult
    public static func raiseDescriptors() -> Int {
        var l = rlimit()
        guard getrlimit(RLIMIT_NOFILE_ID, &l) == 0 else { return -1 }
        if l.rlim_cur < l.rlim_max {
            var raised = l
            raised.rlim_cur = l.rlim_max
            if setrlimit(RLIMIT_NOFILE_ID, &raised) == 0 { return Int(clamping: raised.rlim_cur) }
        }
        return Int(clamping: l.rlim_cur)
    }

    /// The soft descriptor limit now.
    public static func descriptors() -> Int {
        var l = rlimit()
        guard getrlimit(RLIMIT_NOFILE_ID, &l) == 0 else { return -1 }
        return Int(clamping: l.rlim_cur)
    }

    private static var RLIMIT_NOFILE_ID: __rlimit_resource_t { __rlimit_resource_t(RLIMIT_NOFILE.rawValue) }

    /// A write to a pipe whose reader is gone (an IPAM plugin that exited early) is an
    /// EPIPE error to handle, not a SIGPIPE that kills Plumb in the middle of its work.
    public static func ignoreBrokenPipes() { plumb_ignore_sigpipe() }

    /// stdout goes out a line at a time even when it is not a terminal. Under systemd,
    /// stdout and stderr are one stream to the journal: fully buffered, the report went out
    /// in 4 KiB blocks that cut lines in two, and an error on stderr landed inside a report
    /// line (`Verify: 22 passed, 0 faileplumb: error: …`). A write per line also gets a
    /// long-running command's lines to the journal when they happen.
    public static func lineBufferStandardOutput() { plumb_line_buffer_stdout() }
}
