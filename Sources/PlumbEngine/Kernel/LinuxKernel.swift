import PlumbFirewall
import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// The real kernel: one rtnetlink socket per namespace, each opened on a thread inside
/// its namespace and then used from the caller's thread (one handle per namespace).
/// Not Sendable: libnl objects are not.
public final class LinuxKernel: Kernel {
    final class Handle {
        let namespace: NetworkNamespace
        let links: LinuxLinks
        var ethtool: LinuxEthtool?
        init(namespace: NetworkNamespace, links: LinuxLinks) { self.namespace = namespace; self.links = links }
    }

    private var host: LinuxLinks!
    private var hostEthtool: LinuxEthtool?
    /// Open namespaces, the least recently used closed past `capacity`: each holds an
    /// nsfs fd and a netlink socket, and thousands of namespaces must not hold thousands
    /// of descriptors (a caller still using a handle keeps it alive until it is done).
    private var handles: [NamespaceRef: Handle] = [:]
    private var lastUse: [NamespaceRef: Int] = [:]
    /// Handles being opened on their own thread (`prepareLinks`), taken by `handle`.
    private var opening: [NamespaceRef: (NetworkNamespace, NetnsThread.Started<RouteSocket>)] = [:]
    private var clock = 0
    let capacity = max(1, min(256, (ResourceLimits.descriptors() - 32) / 3))
    private var nft: NFTables?
    /// The host namespace's ARP socket, opened on first use and kept for the run (its
    /// close waits for an RCU grace period).
    private var arpSocket: ARPSocket?
    /// Outside networks of forwarding checks, by id: the namespace's only reference.
    var outsides: [Int: LinuxOutside] = [:]
    /// The next outside network's namespace, being made (`prepareOutside`), and its mark.
    var preparedOutside: (mark: String, started: NetnsThread.Started<(RouteSocket, NetworkNamespace)>)?
    var nextOutside = 1
    /// ctnetlink and sock_diag sockets of the host namespace, opened on first use.
    var conntrackSocket: ConntrackSocket?
    var diagSocket: SockDiagSocket?
    /// The namespace Plumb runs in, held open: VFs return into it.
    let hostNamespace: NetworkNamespace
    public let sriov: any SRIOVOps = LinuxSRIOV()
    public let eswitch: any EswitchOps = LinuxEswitch()
    public let proc: any ProcOps = LinuxProc()

    public init() throws {
        hostNamespace = try NetworkNamespace.current()
        host = LinuxLinks(socket: try RouteSocket(label: "the host namespace"), kernel: self)
    }

    // MARK: Namespaces

    public func hostIdentity() throws -> NamespaceIdentity { try hostNamespace.identity() }

    public func identity(of ns: NamespaceRef) throws -> NamespaceIdentity? {
        guard let path = ns.path else { return try hostIdentity() }
        if case .named = ns, !NamedNamespaces.isMounted(path) { return nil }
        return try Identities.namespace(at: path)
    }

    public func process(_ pid: Int) throws -> ProcessIdentity? { try Identities.process(pid) }

    public func namedNamespaceEntries() throws -> (namespaces: [String], placeholders: [String]) { NamedNamespaces.entries() }

    public func createNamespace(_ c: NamespaceCreation) throws -> NamespaceIdentity {
        // Everything that can fail (a socket, a descriptor: EMFILE) happens inside, before
        // the bind mount: a failure leaves no namespace behind.
        let ((socket, opened), id) = try NamedNamespaces.create(c.name, replacingPlaceholder: c.replacesPlaceholder) {
            () throws -> (RouteSocket, NetworkNamespace) in
            let s = try RouteSocket(label: "netns \(c.name)")
            // lo is ifindex 1 in a new namespace; its alias is the namespace's mark.
            try s.execute(SetLink(index: 1, alias: c.mark, up: true))
            return (s, try NetworkNamespace.open(path: "/proc/thread-self/ns/net"))
        }
        keep(Handle(namespace: opened, links: LinuxLinks(socket: socket, kernel: self)), for: .named(c.name))
        return id
    }

    public func deleteNamespace(_ name: String) throws {
        release(.named(name))   // close our fd and socket so the kernel can free it
        try NamedNamespaces.delete(name)
    }

    public func removeNamespacePlaceholder(_ name: String) { NamedNamespaces.removeStalePlaceholder(name) }

    public var probeBackoffMs: [Int] { Verifier.backoffMs }

    public func release(_ ns: NamespaceRef) {
        handles[ns] = nil
        lastUse[ns] = nil
    }

    /// The open namespace of `ns`, opened on first use.
    func handle(_ ns: NamespaceRef) throws -> Handle {
        clock += 1
        if let h = handles[ns] { lastUse[ns] = clock; return h }
        let opened: NetworkNamespace, socket: RouteSocket
        // Opened beside other work (`prepareLinks`); one that failed is opened again here,
        // where its error is thrown.
        if let (o, started) = opening.removeValue(forKey: ns), let s = try? started.join() {
            (opened, socket) = (o, s)
        } else {
            guard let path = ns.path, try identity(of: ns) != nil else {
                throw SystemError("open", "\(ns) (\(ns.path ?? "?"))", .noEntry)
            }
            opened = try NetworkNamespace.open(path: path)
            socket = try opened.run { try RouteSocket(label: ns.description) }
        }
        let h = Handle(namespace: opened, links: LinuxLinks(socket: socket, kernel: self))
        keep(h, for: ns)
        return h
    }

    public func prepareLinks(in ns: NamespaceRef) {
        guard ns != .host, handles[ns] == nil, opening[ns] == nil, let path = ns.path,
              (try? identity(of: ns)) != nil, let opened = try? NetworkNamespace.open(path: path) else { return }
        let label = ns.description
        if let started = try? opened.start({ try RouteSocket(label: label) }) { opening[ns] = (opened, started) }
    }

    /// Caches a handle, closing the least recently used ones past capacity.
    private func keep(_ h: Handle, for ns: NamespaceRef) {
        clock += 1
        handles[ns] = h
        lastUse[ns] = clock
        guard handles.count > capacity else { return }
        let oldest = lastUse.sorted { $0.value < $1.value }.prefix(handles.count - capacity / 2).map(\.key)
        for o in oldest where o != ns { release(o) }
    }

    /// The fd that moves a link into `ns` (IFLA_NET_NS_FD).
    func namespaceFD(_ ns: NamespaceRef) throws -> Int32 {
        if ns == .host { return hostNamespace.fd }
        return try handle(ns).namespace.fd
    }

    public func links(in ns: NamespaceRef) throws -> any LinkOps {
        if ns == .host { return host }
        return try handle(ns).links
    }

    public func ethtool(in ns: NamespaceRef) throws -> any EthtoolOps {
        if ns == .host {
            if hostEthtool == nil { hostEthtool = LinuxEthtool(try EthtoolSocket(label: "the host namespace")) }
            return hostEthtool!
        }
        let h = try handle(ns)
        if h.ethtool == nil {
            h.ethtool = LinuxEthtool(try h.namespace.run { try EthtoolSocket(label: ns.description) }, namespace: h.namespace)
        }
        return h.ethtool!
    }

    /// The libnftables context is bound to the namespace of the thread that creates
    /// it: the caller's, which is the host's.
    public func firewall(_ table: TableName) throws -> any FirewallOps {
        LinuxFirewall(OwnedTable(nft: try nftables(), table: table))
    }

    func nftables() throws -> NFTables {
        if nft == nil { nft = try NFTables() }
        return nft!
    }

    /// The host namespace's route socket (outside networks are joined to it).
    var hostSocket: RouteSocket { host.socket }

    // MARK: Probes

    public func echoes(from ns: NamespaceRef, to target: IPAddress, _ requests: [Ping.Request]) throws -> [Ping.Outcome] {
        try handle(ns).namespace.run { Ping.echoes(target, requests) }
    }

    public func askARP(_ r: ARPSocket.Request) throws -> MACAddress? {
        if arpSocket == nil { arpSocket = try ARPSocket() }
        return try arpSocket!.ask(r)
    }

    public func exchange(_ e: Exchange) throws -> ExchangeResult {
        let family = e.target.family
        let listener: ProbeListener
        var watch: ArrivalWatch?
        do {
            listener = try run(on: e.server) {
                try ProbeListener.open(e.proto, address: e.listenAddress, family: family, port: e.listenPort, timeoutMs: e.timeoutMs)
            }
            // A server holds a UDP port: watch its link before anything is sent.
            if !listener.ours, e.proto == .udp, let a = e.arrival {
                watch = try run(on: e.server) { try ArrivalWatch(index: a.index, address: a.address) }
            }
        } catch {
            return ExchangeResult(delivery: .failed("plumb's listener: \(error)"))
        }
        let client = try run(on: e.client) { try ProbeSocket(e.proto, family: family) }
        var r = Exchanges.run(client, to: Endpoint(e.target, e.targetPort ?? listener.port), listener: listener,
                              fullSegment: e.fullSegment, watch: watch, timeoutMs: e.timeoutMs)
        if case .toServer(var d) = r.delivery, let watch {
            let after = try run(on: e.server) { try UDPCounters.read(watch.address.family) }
            d.udpReceived = after.received - watch.before.received
            r.delivery = .toServer(d)
        }
        return r
    }

    /// Runs `body` where a probe socket must be born (a socket stays in its namespace).
    func run<T>(on side: Exchange.Side, _ body: () throws -> T) throws -> T {
        switch side {
        // Plumb's own threads never leave the host namespace (docs/ARCHITECTURE.md §6).
        case .namespace(.host): return try body()
        case .namespace(let ns): return try handle(ns).namespace.run(body)
        case .outside(let o): return try outsideNamespace(o).run(body)
        }
    }
}
