import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// `WatchEvents` on the real kernel: one rtnetlink socket listening to every namespace
/// with an id here (NETLINK_LISTEN_ALL_NSID: `ip monitor all-nsid`), one nf_tables
/// listener (`nft monitor`), and the signal descriptor, all in one poll(2). Holds no
/// namespace open: a container's namespace dies when its last process does, and its VFs
/// go home, whether or not Plumb is watching.
public final class LinuxWatchEvents: WatchEvents {
    let routing: EventSocket
    let nftables: EventSocket
    let signals: SignalDescriptor
    /// Asks for namespace ids (`ip netns set NAME auto`).
    let ids: RouteSocket
    let host: NamespaceIdentity
    /// Namespaces given an id already, by identity (a name can be reused by another).
    var followed: Set<NamespaceIdentity> = []

    public init(signals: SignalDescriptor) throws {
        self.signals = signals
        routing = try EventSocket(.routing)
        nftables = try EventSocket(.nftables)
        ids = try RouteSocket(label: "the host namespace")
        host = try NetworkNamespace.current().identity()
    }

    public func next(timeout: Duration?) -> WatchWake {
        let ready = Readiness.wait([signals.fd, routing.fd, nftables.fd], timeout: timeout)
        if ready.isEmpty { return .timeout }
        if ready.contains(signals.fd) {
            let received = signals.read()
            if received.contains(.stop) { return .stop }
            if received.contains(.reload) { return .reload }
        }
        var events: [KernelEvent] = []
        if ready.contains(routing.fd) { events += routing.drain() }
        if ready.contains(nftables.fd) { events += nftables.drain() }
        return .events(events)
    }

    public func discardPending() {
        _ = routing.drain()
        _ = nftables.drain()
    }

    /// Gives each namespace an id in Plumb's, once per namespace identity. One that is
    /// gone, or is Plumb's own, is skipped: there is nothing in it to hear.
    public func follow(_ namespaces: [NamespaceRef]) {
        for ref in namespaces {
            guard let path = ref.path, let ns = try? NetworkNamespace.open(path: path),
                  let id = try? ns.identity(), id != host, !followed.contains(id) else { continue }
            if (try? ids.assignNamespaceID(fd: ns.fd, label: ref.description)) != nil { followed.insert(id) }
        }
    }
}
