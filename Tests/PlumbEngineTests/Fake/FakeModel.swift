import Foundation
import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// The objects the in-memory kernel keeps. Plain values: `FakeKernel` owns them all,
/// and the `snapshot()` of them is what tests compare ("exactly the starting state").

/// A link, where its namespace keeps it (by ifindex).
struct FakeLink: Equatable {
    var index: Int
    var name: String
    /// "bridge", "veth"; nil for a device (lo, a NIC, a VF's netdev), which the
    /// kernel moves but never deletes.
    var kind: String?
    var master: Int?
    var mtu = 1500
    /// A bridge whose MTU was set (at creation or later) keeps it; otherwise the kernel
    /// gives it the smallest MTU of its ports (br_mtu_auto_adjust).
    var mtuSetByUser = false
    var up = false
    var mac: MACAddress?
    var alias: String?
    /// A veth's other end (in its own namespace).
    var peer: FakeLinkID?
    /// A macvlan's parent (in the namespace it was made from) and mode.
    var lower: FakeLinkID?
    var macvlanMode: MacvlanMode?
    /// An ipvlan's mode (its parent is `lower`; the mode is really the parent's port's).
    var ipvlanMode: IpvlanMode?
    var ipvlanFlag: IpvlanFlag?
    /// A VLAN subinterface's id and protocol (its parent is `lower`).
    var vlanID: Int?
    var vlanProtocol: VLANProtocol?
    /// A VF's netdev: which VF of which PF.
    var vf: FakeVFID?
    var isLoopback = false
    /// `addrgenmode none` (a bridge port makes no IPv6 link-local address).
    var noIPv6Addresses = false
    var txqlen = 1000
    var stats = LinkStats()
}

/// A link anywhere: its namespace (the fake's internal id) and ifindex there.
struct FakeLinkID: Hashable {
    var ns: Int
    var index: Int
}

struct FakeVFID: Hashable {
    var pf: String
    var index: Int
}

/// One network namespace: its own ifindex space, links, addresses, static routes
/// (connected routes are derived from addresses on up links, as the kernel adds
/// and removes them), neighbours and sysctls.
final class FakeNamespace {
    let id: Int
    let identity: NamespaceIdentity
    var links: [Int: FakeLink] = [:]
    var addresses: [AddressInfo] = []
    var routes: [RouteInfo] = []
    var rules: [RuleInfo] = []
    var neighbours: [NeighbourInfo] = []
    var sysctls: [String: String] = [:]
    var nextIndex = 1
    /// The ids this namespace gives the others it sees (IFLA_LINK_NETNSID), assigned on first use from 0.
    var nsids: [Int: Int] = [:]

    init(id: Int, identity: NamespaceIdentity) { self.id = id; self.identity = identity }

    func link(named name: String) -> FakeLink? { links.values.first { $0.name == name } }

    func nsid(of other: Int) -> Int {
        if let id = nsids[other] { return id }
        nsids[other] = nsids.count
        return nsids.count - 1
    }

    /// Each bridge whose MTU nobody set: the smallest MTU of its ports, 1500 without any.
    func adjustBridgeMTUs() {
        for (i, b) in links where b.kind == "bridge" && !b.mtuSetByUser {
            links[i]!.mtu = links.values.filter { $0.master == i }.map(\.mtu).min() ?? 1500
        }
    }

    /// The next free ifindex, or `preferred` when it is free (a moved link keeps its index if it can).
    func allocateIndex(preferring preferred: Int? = nil) -> Int {
        if let p = preferred, links[p] == nil {
            nextIndex = max(nextIndex, p + 1)
            return p
        }
        while links[nextIndex] != nil { nextIndex += 1 }
        defer { nextIndex += 1 }
        return nextIndex
    }

    /// A name for the pattern `eth%d` (the first free one), or the name itself.
    func freeName(_ pattern: String) -> String {
        guard pattern.contains("%d") else { return pattern }
        var n = 0
        while link(named: pattern.replacingOccurrences(of: "%d", with: String(n))) != nil { n += 1 }
        return pattern.replacingOccurrences(of: "%d", with: String(n))
    }
}

/// A NIC's ethtool and interrupt state (nil: the driver cannot report it).
struct FakeNIC: Equatable {
    var driver: String
    var busInfo: String
    var rings: Ethtool.Rings?
    var channels: Ethtool.Channels?
    var coalesce: Ethtool.Coalesce?
    /// Every feature by kernel name ("rx-gro", "rx-lro", …).
    var features: [String: Ethtool.Feature] = [:]
    var irqs: [QueueIRQ] = []
    /// Per-queue RPS/XPS/RFS (sysfs `queues/`), and the device's local CPUs (nil: no device).
    var queues: [QueueSteeringState] = []
    var localCPUs: CPUSet?
    /// The device's NUMA node (`device/numa_node`), beside its local CPUs.
    var numaNode: Int?
    /// RSS (nil: the driver has none), the hash fields of each flow type it reports, and
    /// the field sets it accepts per flow type (absent: any).
    var rss: Ethtool.RSS?
    var hashFields: [RxFlowType: RxHashFields] = [:]
    var hashable: [RxFlowType: [RxHashFields]] = [:]

    init(driver: String, busInfo: String, rings: Ethtool.Rings? = nil, channels: Ethtool.Channels? = nil,
         coalesce: Ethtool.Coalesce? = nil, gro: Ethtool.Feature? = nil, features: [String: Ethtool.Feature] = [:],
         irqs: [QueueIRQ] = [], queues: [QueueSteeringState] = [], localCPUs: CPUSet? = nil) {
        self.driver = driver; self.busInfo = busInfo; self.rings = rings; self.channels = channels
        self.coalesce = coalesce; self.features = features; self.irqs = irqs; self.queues = queues
        self.localCPUs = localCPUs
        if let gro { self.features[Ethtool.groFeature] = gro }
    }

    /// Generic receive offload (the feature "rx-gro").
    var gro: Ethtool.Feature? {
        get { features[Ethtool.groFeature] }
        set { features[Ethtool.groFeature] = newValue }
    }
}

/// An SR-IOV physical function: its sysfs counts and the PF-side settings of its VFs.
struct FakePF: Equatable {
    var name: String
    var pciAddress: String
    var driver: String?
    var totalVFs: Int?
    var numVFs = 0
    var settings: [VFSettings] = []
    /// The VF counters the PF reports (IFLA_VF_STATS).
    var stats: [VFStats] = []
    /// VF settings the driver refuses with EOPNOTSUPP ("link-state" for igb).
    var unsupported: Set<String> = []
    /// Hosts on the wire behind the PF: a VF reaches one when its VLAN matches.
    var wire: [WireHost] = []
    /// VFs bound to another driver than igbvf (nil: none), by index; their netdev is gone.
    var vfDrivers: [Int: String?] = [:]
    /// VFs with a driver_override, by index.
    var vfOverrides: [Int: String] = [:]
    /// No IOMMU: VFs have no IOMMU group.
    var noIOMMU = false

    /// VF n's PCI address: 0000:01:00.0 → 0000:01:10.n (as igb lays them out).
    func vfPCI(_ n: Int) -> String {
        let bus = pciAddress.split(separator: ":").prefix(2).joined(separator: ":")
        return "\(bus):\(10 + n / 8).\(n % 8)"
    }
}

struct WireHost: Equatable {
    var vlan: Int
    var address: IPAddress
}

/// What the kernel says when it refuses.
enum FakeError {
    static func netlink(_ op: String, _ object: String, _ errno: Errno) -> NetlinkError {
        NetlinkError(operation: op, object: object, errno: errno)
    }
}
