import CNetlink
import Glibc
import PlumbTypes

/// Equivalent to: `ip link add link PARENT name NAME [address MAC] [mtu M] [netns NS] type vlan id ID protocol PROTO`.
/// The parent is looked up in the socket's namespace; with `namespaceFD` the VLAN is born
/// in that namespace under its final name (one RTM_NEWLINK, no move), without it next to
/// its parent (a parent already inside the container). Without `mac` it has its parent's.
public struct CreateVlan: Sendable {
    public var name: String
    public var parentIndex: Int
    public var id: Int
    public var proto: VLANProtocol
    public var namespaceFD: Int32?
    public var mac: MACAddress?
    public var mtu: Int?
    public init(name: String, parentIndex: Int, id: Int, proto: VLANProtocol, namespaceFD: Int32?, mac: MACAddress? = nil, mtu: Int? = nil) {
        self.name = name; self.parentIndex = parentIndex; self.id = id; self.proto = proto
        self.namespaceFD = namespaceFD; self.mac = mac; self.mtu = mtu
    }
}

extension VLANProtocol {
    /// The ethertype (ETH_P_8021Q, ETH_P_8021AD), in host order.
    var ethertype: UInt16 {
        switch self {
        case .dot1q: return 0x8100
        case .dot1ad: return 0x88a8
        }
    }

    /// libnl passes IFLA_VLAN_PROTOCOL through as the kernel has it: big-endian.
    init?(netlinkValue raw: UInt16) {
        let host = UInt16(bigEndian: raw)
        guard let p = VLANProtocol.allCases.first(where: { $0.ethertype == host }) else { return nil }
        self = p
    }
}

extension RouteSocket {
    public func execute(_ r: CreateVlan) throws {
        let l = rtnl_link_vlan_alloc()!
        defer { rtnl_link_put(l) }
        rtnl_link_set_name(l, r.name)
        rtnl_link_set_link(l, Int32(r.parentIndex))
        _ = rtnl_link_vlan_set_id(l, UInt16(r.id))
        _ = rtnl_link_vlan_set_protocol(l, r.proto.ethertype.bigEndian)
        if let fd = r.namespaceFD { rtnl_link_set_ns_fd(l, fd) }
        if let m = r.mtu { rtnl_link_set_mtu(l, UInt32(m)) }
        var addr: OpaquePointer?
        if let mac = r.mac { addr = NLAddress.make(mac); rtnl_link_set_addr(l, addr) }
        defer { if let addr { nl_addr_put(addr) } }
        try perform("RTM_NEWLINK", "vlan \(r.name) id \(r.id) protocol \(r.proto.rawValue) on ifindex \(r.parentIndex)") {
            rtnl_link_add(sock, l, NLM_F_CREATE | NLM_F_EXCL)
        }
    }
}
