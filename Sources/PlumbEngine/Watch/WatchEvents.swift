import PlumbNetlink
import PlumbTypes

/// What woke the watcher.
public enum WatchWake: Sendable, Equatable {
    /// The kernel changed something (possibly nothing Plumb owns: the plan decides).
    case events([KernelEvent])
    /// SIGHUP: read the manifests again.
    case reload
    /// SIGTERM or SIGINT: finish and exit.
    case stop
    /// The wait's time ran out: a repair held back by backoff is due.
    case timeout
}

/// Where a watcher's news comes from: the kernel's change notifications and the operator's
/// signals. The seam between the reconciler and the kernel: unit tests script the wakes.
public protocol WatchEvents: AnyObject {
    /// Sleeps until something happens or `timeout` passes (nil: no timeout). Never polls.
    func next(timeout: Duration?) -> WatchWake
    /// Drops the notifications queued now: the echoes of the watcher's own changes.
    func discardPending()
    /// Makes changes inside these namespaces reach `next` (each gets an id in Plumb's).
    func follow(_ namespaces: [NamespaceRef])
}
