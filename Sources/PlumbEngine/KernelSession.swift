import PlumbFirewall
import PlumbNetlink
import PlumbSystem

/// The open handles of one run: a netlink socket per namespace, each created on
/// a thread inside its namespace and then used from the caller's thread (one
/// handle per namespace, STYLE.md §5). Not Sendable: libnl objects are not.
public final class KernelSession {
    public let host: RouteSocket
    private var handles: [NamespaceKey: NamespaceHandle] = [:]

    public final class NamespaceHandle {
        public let namespace: NetworkNamespace
        public let socket: RouteSocket
        init(namespace: NetworkNamespace, socket: RouteSocket) { self.namespace = namespace; self.socket = socket }
    }

    private var nft: NFTables?
    private var ethtoolSocket: EthtoolSocket?

    /// The ethtool generic-netlink socket of the host namespace (opened on first use).
    public func ethtool() throws -> EthtoolSocket {
        if ethtoolSocket == nil { ethtoolSocket = try EthtoolSocket(label: "the host namespace") }
        return ethtoolSocket!
    }

    /// Plumb's table in the host namespace. The libnftables context is bound to the
    /// namespace of the thread that creates it: the caller's, which is the host's.
    public func firewall(_ table: TableName) throws -> OwnedTable {
        if nft == nil { nft = try NFTables() }
        return OwnedTable(nft: nft!, table: table)
    }

    /// The raw context, for saving a table's text before replacing it (undo).
    public func nftContext() throws -> NFTables {
        if nft == nil { nft = try NFTables() }
        return nft!
    }

    private var hostNS: NetworkNamespace?

    /// The namespace Plumb runs in, held open (VFs return into it).
    public func hostNetns() throws -> NetworkNamespace {
        if hostNS == nil { hostNS = try NetworkNamespace.current() }
        return hostNS!
    }

    public init() throws {
        host = try RouteSocket(label: "the host namespace")
    }

    public static func path(of key: NamespaceKey) -> String {
        if key.hasPrefix("pid:") { return "/proc/\(key.dropFirst(4))/ns/net" }
        if key.hasPrefix("/") { return key }
        return NamedNamespaces.path(key)
    }

    /// The socket of `key`'s namespace; nil when that namespace does not exist.
    public func handle(_ key: NamespaceKey) throws -> NamespaceHandle? {
        if key == hostNamespace { return nil }
        if let h = handles[key] { return h }
        let path = KernelSession.path(of: key)
        guard Files.exists(path) else { return nil }
        if path.hasPrefix(NamedNamespaces.directory + "/"), !NamedNamespaces.isMounted(path) { return nil }
        let ns = try NetworkNamespace.open(path: path)
        let sock = try ns.run { try RouteSocket(label: "netns \(key)") }
        let h = NamespaceHandle(namespace: ns, socket: sock)
        handles[key] = h
        return h
    }

    /// The socket for steps in `key`, which must exist.
    public func socket(_ key: NamespaceKey) throws -> RouteSocket {
        if key == hostNamespace { return host }
        guard let h = try handle(key) else {
            throw SystemError("open", "netns \(key) (\(KernelSession.path(of: key)))", .noEntry)
        }
        return h.socket
    }

    public func hostHasLink(_ name: String) -> Bool { ((try? host.link(name: name)) ?? nil) != nil }

    /// Equivalent to: `ip netns add NAME; ip -n NAME link set lo up`
    /// [`; ip netns exec NAME sysctl -w net.ipv6.conf.default.disable_ipv6=1`] —
    /// and opens its socket while inside.
    public func createNamed(_ name: String, ipv6: Bool) throws {
        let sock = try NamedNamespaces.create(name) { () throws -> RouteSocket in
            // Links born here later (the veth peer) inherit `default`: a container
            // with no IPv6 address gets no link-local address, DAD or solicitations.
            if !ipv6 { try Sysctls.write("net.ipv6.conf.default.disable_ipv6", "1") }
            let s = try RouteSocket(label: "netns \(name)")
            try s.execute(SetLink(index: 1, up: true))   // lo is ifindex 1 in a new netns
            return s
        }
        let ns = try NetworkNamespace.open(path: NamedNamespaces.path(name))
        handles[name] = NamespaceHandle(namespace: ns, socket: sock)
    }

    /// Equivalent to: `ip netns delete NAME`.
    public func deleteNamed(_ name: String) throws {
        handles[name] = nil   // close our fd and socket so the kernel can free it
        try NamedNamespaces.delete(name)
    }
}
