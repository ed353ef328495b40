import PlumbSystem
import PlumbTypes

/// One connection (TCP) or datagram (UDP) the verifier sends from one namespace to
/// another, checked on a socket Plumb opens on the server side — or, when a server already
/// holds that port, answered by it (then conntrack must say where it went).
public struct Exchange: Sendable {
    /// Where a socket lives.
    public enum Side: Sendable, Hashable {
        case namespace(NamespaceRef)
        /// The outside network the verifier made for forwarding checks.
        case outside(OutsideNetwork)
    }

    public var proto: TransportProtocol
    public var client: Side
    public var server: Side
    /// Where Plumb listens: an address (nil: any of the target's family) and a port (0: a free one).
    public var listenAddress: IPAddress?
    public var listenPort: Int
    /// Where the client sends; nil port: the listener's own.
    public var target: IPAddress
    public var targetPort: Int?
    /// TCP: after the nonce, one segment as large as the connection's MSS (path MTU evidence).
    public var fullSegment: Bool
    /// UDP, when a server already holds `listenPort`: the server's link (ifindex in its
    /// namespace) and address the datagram must arrive at, watched there.
    public var arrival: Arrival?
    public var timeoutMs: Int

    public struct Arrival: Sendable, Hashable {
        public var index: Int
        public var address: IPAddress
        public init(index: Int, address: IPAddress) { self.index = index; self.address = address }
    }

    public init(_ proto: TransportProtocol, from client: Side, to server: Side, listenAddress: IPAddress?, listenPort: Int,
                target: IPAddress, targetPort: Int?, fullSegment: Bool = false, arrival: Arrival? = nil, timeoutMs: Int) {
        self.proto = proto; self.client = client; self.server = server; self.listenAddress = listenAddress
        self.listenPort = listenPort; self.target = target; self.targetPort = targetPort
        self.fullSegment = fullSegment; self.arrival = arrival; self.timeoutMs = timeoutMs
    }
}

/// What the verifier asks for when it needs an "outside": a namespace of its own joined to
/// the host by a veth, so that traffic crosses the host's real prerouting, forward and
/// postrouting hooks the way a client on another machine's would.
public struct OutsideRequest: Sendable, Hashable {
    /// The veth's host end: a name no one else uses (random), born with `hostMAC`.
    public var hostName: String
    public var hostMAC: MACAddress
    /// The alias of the host end and of the namespace's `lo`: Plumb's, and for verification.
    public var mark: String
    /// The host end's address and the outside end's, one /30.
    public var hostAddress: IPPrefix
    public var address: IPPrefix
    /// The same in IPv6 (one /126), when an IPv6 forward or masquerade is to be checked.
    public var v6: (host: IPPrefix, outside: IPPrefix)?
    public init(hostName: String, hostMAC: MACAddress, mark: String, hostAddress: IPPrefix, address: IPPrefix,
                v6: (host: IPPrefix, outside: IPPrefix)? = nil) {
        self.hostName = hostName; self.hostMAC = hostMAC; self.mark = mark
        self.hostAddress = hostAddress; self.address = address; self.v6 = v6
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.hostName == b.hostName && a.hostMAC == b.hostMAC && a.mark == b.mark && a.hostAddress == b.hostAddress
            && a.address == b.address && a.v6?.host == b.v6?.host && a.v6?.outside == b.v6?.outside
    }

    public func hash(into h: inout Hasher) { h.combine(hostName); h.combine(address); h.combine(v6?.outside) }
}

/// How a verify ends its outside network. Either way the namespace's last reference is
/// closed and the kernel deletes it with both ends of its veth; what differs is whether
/// the verify waits for that. The kernel does it in its netns workqueue (cleanup_net:
/// RCU grace periods, ~10–20 ms), which a process's exit does not wait for either.
public enum OutsideRemoval: Sendable, Hashable {
    /// Wait until the host end is gone: `plumb verify`, apply — whoever looks at the host
    /// right after sees nothing of the outside.
    case awaited
    /// Close the references and go on: for a CNI ADD/CHECK, whose process exits right after
    /// and must not hold a pod's start for the kernel's cleanup. The outside's host end
    /// (`plumbv…`, marked `plumb:verify`, in no record) lingers for that cleanup's duration.
    case released
}

/// An outside network that exists until `removeOutside`.
public struct OutsideNetwork: Sendable, Hashable {
    /// The kernel's handle for it (LinuxKernel: its open namespace).
    public var id: Int
    public var hostName: String
    public var hostIndex: Int
    public var hostAddress: IPAddress
    public var address: IPAddress
    /// The IPv6 pair, when the request asked for one.
    public var hostAddress6: IPAddress?
    public var address6: IPAddress?
    public init(id: Int, hostName: String, hostIndex: Int, hostAddress: IPAddress, address: IPAddress,
                hostAddress6: IPAddress? = nil, address6: IPAddress? = nil) {
        self.id = id; self.hostName = hostName; self.hostIndex = hostIndex; self.hostAddress = hostAddress; self.address = address
        self.hostAddress6 = hostAddress6; self.address6 = address6
    }

    /// The host end's and the outside's address of `family`; nil when it has none of it.
    public func endpoints(_ family: IPFamily) -> (host: IPAddress, outside: IPAddress)? {
        switch family {
        case .v4: return (hostAddress, address)
        case .v6: return hostAddress6.flatMap { h in address6.map { (h, $0) } }
        }
    }
}
