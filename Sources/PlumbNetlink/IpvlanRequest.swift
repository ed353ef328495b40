import CNetlink
import Glibc
import PlumbTypes

/// Equivalent to: `ip link add link PARENT name NAME [mtu M] netns NS type ipvlan mode MODE`.
/// Born in `namespaceFD`'s namespace under its final name, on a parent looked up in the
/// socket's namespace (the host's): one RTM_NEWLINK, no temporary name, no move. An ipvlan
/// has its parent's MAC: no address is asked for.
public struct CreateIpvlan: Sendable {
    public var name: String
    public var parentIndex: Int
    public var mode: IpvlanMode
    public var namespaceFD: Int32
    public var mtu: Int?
    public init(name: String, parentIndex: Int, mode: IpvlanMode, namespaceFD: Int32, mtu: Int? = nil) {
        self.name = name; self.parentIndex = parentIndex; self.mode = mode; self.namespaceFD = namespaceFD; self.mtu = mtu
    }
}

extension IpvlanMode {
    /// IFLA_IPVLAN_MODE's values (IPVLAN_MODE_L2, _L3, _L3S).
    var kernelValue: UInt16 {
        switch self {
        case .l2: return 0
        case .l3: return 1
        case .l3s: return 2
        }
    }

    init?(kernelValue: UInt16) {
        guard let m = IpvlanMode.allCases.first(where: { $0.kernelValue == kernelValue }) else { return nil }
        self = m
    }
}

extension RouteSocket {
    public func execute(_ r: CreateIpvlan) throws {
        let l = rtnl_link_ipvlan_alloc()!
        defer { rtnl_link_put(l) }
        rtnl_link_set_name(l, r.name)
        rtnl_link_set_link(l, Int32(r.parentIndex))
        _ = rtnl_link_ipvlan_set_mode(l, r.mode.kernelValue)
        rtnl_link_set_ns_fd(l, r.namespaceFD)
        if let m = r.mtu { rtnl_link_set_mtu(l, UInt32(m)) }
        try perform("RTM_NEWLINK", "ipvlan \(r.name) on ifindex \(r.parentIndex) mode \(r.mode.rawValue)") {
            rtnl_link_add(sock, l, NLM_F_CREATE | NLM_F_EXCL)
        }
    }
}
