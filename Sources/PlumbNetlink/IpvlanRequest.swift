import CNetlink
import Glibc
import PlumbTypes

/// Equivalent to: `ip link add link PARENT name NAME [mtu M] netns NS type ipvlan mode MODE FLAG`.
/// Born in `namespaceFD`'s namespace under its final name, on a parent looked up in the
/// socket's namespace (the host's): one RTM_NEWLINK, no temporary name, no move. An ipvlan
/// has its parent's MAC: no address is asked for.
public struct CreateIpvlan: Sendable {
    public var name: String
    public var parentIndex: Int
    public var mode: IpvlanMode
    public var flag: IpvlanFlag
    public var namespaceFD: Int32
    public var mtu: Int?
    public init(name: String, parentIndex: Int, mode: IpvlanMode, flag: IpvlanFlag = .bridge, namespaceFD: Int32, mtu: Int? = nil) {
        self.name = name; self.parentIndex = parentIndex; self.mode = mode; self.flag = flag; self.namespaceFD = namespaceFD; self.mtu = mtu
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

extension IpvlanFlag {
    /// IFLA_IPVLAN_FLAGS's values (IPVLAN_F_PRIVATE, IPVLAN_F_VEPA; none for bridge).
    var kernelValue: UInt16 {
        switch self {
        case .bridge: return 0
        case .private: return 0x01
        case .vepa: return 0x02
        }
    }

    init?(kernelValue: UInt16) {
        guard let f = IpvlanFlag.allCases.first(where: { $0.kernelValue == kernelValue }) else { return nil }
        self = f
    }
}

extension RouteSocket {
    /// libnl 3.7 cannot set IFLA_IPVLAN_FLAGS: the request is built by `plumb_ipvlan_add`.
    public func execute(_ r: CreateIpvlan) throws {
        try perform("RTM_NEWLINK", "ipvlan \(r.name) on ifindex \(r.parentIndex) mode \(r.mode.rawValue) \(r.flag.rawValue)") {
            plumb_ipvlan_add(sock, r.name, Int32(r.parentIndex), r.namespaceFD, UInt32(r.mtu ?? 0), r.mode.kernelValue, r.flag.kernelValue)
        }
    }

    /// An ipvlan's flag, which libnl 3.7 does not parse: `ip -d link show dev IFINDEX`.
    func ipvlanFlag(index: Int) throws -> IpvlanFlag? {
        var raw: Int32 = -1
        try perform("RTM_GETLINK", "ifindex \(index) (ipvlan flags)") { plumb_ipvlan_flags_get(sock, Int32(index), &raw) }
        return raw < 0 ? nil : IpvlanFlag(kernelValue: UInt16(raw))
    }

    /// The flag of each ipvlan among `links`, read with one request each (ipvlans are few).
    func withIpvlanFlags(_ links: [LinkInfo]) throws -> [LinkInfo] {
        try links.map { l in
            guard l.kind == "ipvlan" else { return l }
            var l = l
            l.ipvlanFlag = try ipvlanFlag(index: l.index)
            return l
        }
    }
}
