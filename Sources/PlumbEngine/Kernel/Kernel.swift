import PlumbFirewall
import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// The engine's whole view of the kernel: the seam between the engine and the C
/// libraries. `LinuxKernel` implements it with libnl, libnftables, sysfs and procfs;
/// the unit tests implement it with an in-memory kernel, so the observer, the applier
/// (rollback after a fault at any step) and the verifier's decisions run without root.
///
/// Every operation names the `ip` / `ethtool` command it equals where it implements it.
/// Nothing here knows the manifest; values are PlumbTypes and kernel readings.
public protocol Kernel: AnyObject {
    // MARK: Namespaces

    /// The identity of the namespace Plumb runs in (the host's, for Plumb).
    func hostIdentity() throws -> NamespaceIdentity
    /// Which namespace `ns` is now; nil when it does not exist (no file, a placeholder
    /// under /run/netns that is not a mounted namespace, a pid that is gone).
    func identity(of ns: NamespaceRef) throws -> NamespaceIdentity?
    /// The process `pid` is now; nil when there is none.
    func process(_ pid: Int) throws -> ProcessIdentity?
    /// The names under /run/netns: those that are namespaces, and those that are not
    /// (plain files, placeholders), from one reading of the directory (`ip netns list`).
    func namedNamespaceEntries() throws -> (namespaces: [String], placeholders: [String])
    /// `ip netns add NAME`; `lo` gets `mark` as its alias and comes up before the
    /// namespace appears under /run/netns.
    func createNamespace(_ c: NamespaceCreation) throws -> NamespaceIdentity
    /// `ip netns delete NAME`.
    func deleteNamespace(_ name: String) throws
    /// `rm /run/netns/NAME` when it is a plain file (what a create killed before its bind
    /// mount leaves), never when it is a namespace.
    func removeNamespacePlaceholder(_ name: String)

    /// The rtnetlink handle of `ns`; throws ENOENT when the namespace does not exist.
    func links(in ns: NamespaceRef) throws -> any LinkOps
    /// Starts opening `ns`'s handle (a thread enters the namespace to open its socket) and
    /// returns at once; `links(in:)` takes it when it is first asked for. Any failure is
    /// left for that call to say.
    func prepareLinks(in ns: NamespaceRef)
    /// The ethtool genetlink handle of `ns`.
    func ethtool(in ns: NamespaceRef) throws -> any EthtoolOps
    /// The nftables table `table` of the namespace Plumb runs in.
    func firewall(_ table: TableName) throws -> any FirewallOps
    var sriov: any SRIOVOps { get }
    var eswitch: any EswitchOps { get }
    var proc: any ProcOps { get }
    /// Closes what Plumb holds open in `ns` (a netlink socket, an fd): thousands of
    /// namespaces must not hold thousands of sockets.
    func release(_ ns: NamespaceRef)

    // MARK: Probes (verify)

    /// The waits between a probe's attempts, in ms: how long a path that has just been
    /// made may take to carry packets (a VF resetting, an IPv6 address in DAD). A real
    /// kernel needs up to seconds; an in-memory one answers at once or never.
    var probeBackoffMs: [Int] { get }

    /// ICMP / ICMPv6 echoes from inside `ns` to `target`, one after another, each waiting at
    /// most its `timeoutMs` for the reply (the verifier backs off between calls); stops after
    /// the first unanswered, so the result may be shorter than `requests`. A request's `size`
    /// is the whole packet's length; every echo is sent with Don't Fragment.
    /// Equivalent to: `ip netns exec NS ping -c 1 -W 1 -M do [-s SIZE-28] TARGET`, per request.
    func echoes(from ns: NamespaceRef, to target: IPAddress, _ requests: [Ping.Request]) throws -> [Ping.Outcome]
    /// One ARP request from a link of the host namespace (a bridge), sent to a station's
    /// MAC rather than broadcast — the bridge forwards it to that station's port alone —
    /// and the MAC that answered for `r.target`; nil when none did within `r.timeoutMs`.
    /// The station's kernel learns the asker from it, as from any request to it.
    /// Equivalent to: `arping -c 1 -t STATION_MAC -s SOURCE_MAC -S SOURCE -i DEV TARGET` (Habets' arping).
    func askARP(_ r: ARPSocket.Request) throws -> MACAddress?
    /// One connection or datagram from `e.client` to `e.target`, checked on a socket Plumb
    /// opens at `e.server` (or answered by the server already holding that port).
    /// Equivalent to: `ip netns exec SERVER nc -l ADDR PORT & ip netns exec CLIENT nc TARGET PORT`.
    func exchange(_ e: Exchange) throws -> ExchangeResult
    /// A namespace of Plumb's own playing "outside" for forwarding checks: anonymous (no
    /// name under /run/netns to collide with; it dies with Plumb), `lo` up and marked, and
    /// a veth to the host namespace with an address on each end.
    /// Equivalent to: `unshare -n` + `ip link add HOST address MAC type veth peer name eth0
    /// netns OUTSIDE; ip link set HOST alias MARK addrgenmode none up; ip addr add …` (both ends).
    func createOutside(_ r: OutsideRequest) throws -> OutsideNetwork
    /// Starts making the namespace of the next `createOutside` with this mark, on another
    /// core, while the caller goes on (a hint: a kernel that cannot ignores it; one never
    /// used is closed with the kernel handle).
    /// Equivalent to: `unshare -n` with `ip link set lo alias MARK up` inside (the veth comes
    /// with `createOutside`).
    func prepareOutside(mark: String)
    /// Releases the outside namespace: the kernel deletes it and both ends of its veth —
    /// before this returns when `removal` is `.awaited`, soon after when `.released`.
    /// Equivalent to: the `unshare -n` process exiting (or `ip link del HOST`).
    func removeOutside(_ o: OutsideNetwork, _ removal: OutsideRemoval) throws
    /// The conntrack entry whose original direction is `flow`, in the host namespace; nil
    /// when the kernel has none (never confirmed: dropped before postrouting).
    /// Equivalent to: `conntrack -G -p PROTO -s SRC --sport SP -d DST --dport DP`.
    func conntrack(_ flow: FlowTuple) throws -> ConntrackEntry?
    /// Equivalent to: `conntrack -D -p PROTO -s SRC --sport SP -d DST --dport DP` (absent is fine).
    func deleteConntrack(_ flow: FlowTuple) throws
    /// TCP listeners and bound UDP sockets of the host namespace (sock_diag).
    /// Equivalent to: `ss -ltnu`.
    func boundSockets() throws -> [BoundSocket]
    /// Every nftables table of the host namespace.
    /// Equivalent to: `nft -j list ruleset`.
    func ruleset() throws -> Ruleset
}

/// One namespace's rtnetlink (vishvananda's `Handle`): links, addresses, routes,
/// neighbours, and the PF-side VF settings of the links in it.
public protocol LinkOps: AnyObject {
    /// Names the namespace in messages: "the host namespace", "netns web".
    var label: String { get }
    /// `ip -d -s link show`.
    func links() throws -> [LinkInfo]
    /// `ip link show dev X`, fresh from the kernel; nil when absent.
    func link(index: Int) throws -> LinkInfo?
    func link(name: String) throws -> LinkInfo?
    /// `ip addr show`.
    func addresses() throws -> [AddressInfo]
    /// `ip route show table all` without the local table (both families).
    func routes() throws -> [RouteInfo]
    /// `ip rule show; ip -6 rule show`.
    func rules() throws -> [RuleInfo]
    /// `ip [-6] rule add … lookup T proto 126` (EEXIST when the same rule is there).
    func addRule(_ r: RuleInfo) throws
    /// `ip [-6] rule del … lookup T`.
    func deleteRule(_ r: RuleInfo) throws
    /// `ip neigh show`.
    func neighbours() throws -> [NeighbourInfo]
    /// `ip neigh add ADDRESS lladdr MAC dev X nud reachable` (EEXIST when an entry exists).
    func addNeighbour(_ address: IPAddress, mac: MACAddress, index: Int, name: String) throws
    /// `ip neigh del ADDRESS dev X`.
    func deleteNeighbour(_ address: IPAddress, index: Int, name: String) throws
    /// `ip link add NAME address MAC type bridge [mtu M]` (fails if it exists).
    func createBridge(_ r: CreateBridge) throws
    /// `ip link add HOST address MAC master M type veth peer name PEER netns NS [mtu M]`.
    func createVeth(_ r: VethRequest) throws
    /// `ip link add link PARENT name NAME address MAC netns NS type macvlan mode MODE [mtu M]`:
    /// born in `namespace` from a parent of this namespace.
    func createMacvlan(_ r: MacvlanRequest) throws
    /// `ip link add link PARENT name NAME netns NS type ipvlan mode MODE FLAG [mtu M]`:
    /// born in `namespace` from a parent of this namespace.
    func createIpvlan(_ r: IpvlanRequest) throws
    /// `ip link add link PARENT name NAME [address MAC] [netns NS] type vlan id ID protocol P [mtu M]`:
    /// on a parent of this namespace, born in `namespace` (nil: this one).
    func createVlan(_ r: VlanRequest) throws
    /// `ip link set dev IFINDEX …` (never moves it: see `moveLink`).
    func setLink(_ r: SetLink) throws
    /// `ip link set dev IFINDEX netns NS name NAME` (down while it moves).
    func moveLink(index: Int, to ns: NamespaceRef, name: String) throws
    /// `ip link del dev IFINDEX`.
    func deleteLink(index: Int, name: String) throws
    /// `ip addr add PREFIX dev IFINDEX` (EEXIST when present).
    func addAddress(_ p: IPPrefix, index: Int, name: String) throws
    /// `ip addr del PREFIX dev IFINDEX`.
    func deleteAddress(_ p: IPPrefix, index: Int, name: String) throws
    /// `ip route add ROUTE dev IFINDEX` (EEXIST when present).
    func addRoute(_ r: RouteInfo, deviceName: String) throws
    /// `ip route del ROUTE dev IFINDEX`.
    func deleteRoute(_ r: RouteInfo, deviceName: String) throws
    /// The `vf N …` lines of `ip link show dev PF`.
    func vfSettings(pfIndex: Int, pfName: String) throws -> [VFSettings]
    /// The traffic counters of the PF's VFs (those the driver reports).
    /// Equivalent to: `ip -s link show dev PF` (its `vf N` RX/TX lines).
    func vfStats(pfIndex: Int, pfName: String) throws -> [VFStats]
    /// `ip link set dev PF vf N …`, one setting per message; a refusal is a
    /// `VFSettingError` listing what had already been applied.
    func setVF(_ r: SetVF) throws
    /// Polls until the link has carrier (`ip link show` says LOWER_UP).
    func waitForCarrier(index: Int, name: String, timeout: Duration) throws
}

/// A veth pair whose peer is born in another namespace and whose host end is
/// enslaved and marked at creation: one RTM_NEWLINK.
public struct VethRequest: Sendable, Equatable {
    public var hostName: String
    public var hostMAC: MACAddress
    public var masterIndex: Int
    public var peerName: String
    public var peerMAC: MACAddress
    public var peerNamespace: NamespaceRef
    public var mtu: Int?
    public init(hostName: String, hostMAC: MACAddress, masterIndex: Int, peerName: String, peerMAC: MACAddress,
                peerNamespace: NamespaceRef, mtu: Int?) {
        self.hostName = hostName; self.hostMAC = hostMAC; self.masterIndex = masterIndex
        self.peerName = peerName; self.peerMAC = peerMAC; self.peerNamespace = peerNamespace; self.mtu = mtu
    }
}

/// A macvlan on a parent of the host namespace, born in another namespace under its
/// final name and carrying its MAC (the mark until its alias is set): one RTM_NEWLINK.
public struct MacvlanRequest: Sendable, Equatable {
    public var name: String
    public var parentIndex: Int
    public var mode: MacvlanMode
    public var namespace: NamespaceRef
    /// nil: the kernel's choice (a passthru macvlan always takes its parent's).
    public var mac: MACAddress?
    public var mtu: Int?
    public init(name: String, parentIndex: Int, mode: MacvlanMode, namespace: NamespaceRef, mac: MACAddress?, mtu: Int?) {
        self.name = name; self.parentIndex = parentIndex; self.mode = mode; self.namespace = namespace
        self.mac = mac; self.mtu = mtu
    }
}

/// An ipvlan on a parent of the host namespace, born in another namespace under its final
/// name: one RTM_NEWLINK. It has its parent's MAC, so its alias is its only mark.
public struct IpvlanRequest: Sendable, Equatable {
    public var name: String
    public var parentIndex: Int
    public var mode: IpvlanMode
    public var flag: IpvlanFlag
    public var namespace: NamespaceRef
    public var mtu: Int?
    public init(name: String, parentIndex: Int, mode: IpvlanMode, flag: IpvlanFlag = .bridge, namespace: NamespaceRef, mtu: Int?) {
        self.name = name; self.parentIndex = parentIndex; self.mode = mode; self.flag = flag; self.namespace = namespace; self.mtu = mtu
    }
}

/// A VLAN subinterface of a parent of the namespace the request is sent in, born in
/// `namespace` (nil: next to its parent) under its final name: one RTM_NEWLINK.
public struct VlanRequest: Sendable, Equatable {
    public var name: String
    public var parentIndex: Int
    public var id: Int
    public var proto: VLANProtocol
    public var namespace: NamespaceRef?
    /// nil: the parent's, as the kernel gives it.
    public var mac: MACAddress?
    public var mtu: Int?
    public init(name: String, parentIndex: Int, id: Int, proto: VLANProtocol, namespace: NamespaceRef?, mac: MACAddress?, mtu: Int?) {
        self.name = name; self.parentIndex = parentIndex; self.id = id; self.proto = proto; self.namespace = namespace
        self.mac = mac; self.mtu = mtu
    }
}

/// The ethtool netlink family of one namespace.
public protocol EthtoolOps: AnyObject {
    /// `ethtool -i NIC`.
    func driverInfo(_ nic: String) throws -> Ethtool.DriverInfo
    /// `ethtool -g NIC`.
    func rings(_ nic: String) throws -> Ethtool.Rings
    /// `ethtool -l NIC`.
    func channels(_ nic: String) throws -> Ethtool.Channels
    /// `ethtool -c NIC`.
    func coalesce(_ nic: String) throws -> Ethtool.Coalesce
    /// `ethtool -k NIC`: every feature by its kernel name.
    func features(_ nic: String) throws -> Ethtool.Features
    /// `ethtool -G NIC [rx N] [tx N]`.
    func setRings(_ nic: String, rx: Int?, tx: Int?) throws
    /// `ethtool -L NIC [rx N] [tx N] [combined N]`.
    func setChannels(_ nic: String, rx: Int?, tx: Int?, combined: Int?) throws
    /// `ethtool -C NIC [adaptive-rx on|off] [rx-usecs N] [tx-frames-irq N] …` in one message.
    func setCoalesce(_ nic: String, _ values: [Ethtool.CoalesceParam: Int]) throws
    /// `ethtool -K NIC FEATURE on|off …` by kernel names; a feature that did not take
    /// the value asked for is an error naming it.
    func setFeatures(_ nic: String, _ values: [String: Bool]) throws
    /// `ethtool -x NIC`: the indirection table and hash key (ETHTOOL_MSG_RSS_GET).
    func rss(_ nic: String) throws -> Ethtool.RSS
    /// `ethtool -X NIC …`: the table and/or the key, nil unchanged (ETHTOOL_SRSSH ioctl:
    /// 6.12 has no netlink RSS set).
    func setRSS(_ nic: String, indirection: [Int]?, key: [UInt8]?) throws
    /// `ethtool -n NIC rx-flow-hash TYPE` (ETHTOOL_GRXFH ioctl: 6.12 has no netlink form).
    func hashFields(_ nic: String, _ flow: RxFlowType) throws -> RxHashFields
    /// `ethtool -N NIC rx-flow-hash TYPE FIELDS` (ETHTOOL_SRXFH ioctl).
    func setHashFields(_ nic: String, _ flow: RxFlowType, _ fields: RxHashFields) throws
}

/// One nftables table of the host namespace.
public protocol FirewallOps: AnyObject {
    /// `nft -j list table T` (and its text); nil when absent.
    func observe() throws -> ObservedFirewall?
    /// `nft -f -`: add, delete and define the table in one transaction.
    func replace(with ruleset: NATRuleset, comment: String) throws
    /// `nft -f -`: `create table T { comment … }` and define it, one transaction; refused
    /// (EEXIST) when a table of that name exists.
    func create(with ruleset: NATRuleset, comment: String) throws
    /// The same swap with a listed table's text (undo).
    func replace(withText text: String) throws
    /// `nft delete table T` (absent is fine).
    func delete() throws
}

/// SR-IOV through sysfs (the initial namespace's /sys).
public protocol SRIOVOps: AnyObject {
    /// The PF a selector names: `/sys/class/net/NAME/device`, by PCI address or by MAC.
    func findPF(_ selector: PFSelector) throws -> PhysicalFunction
    /// The VF at a PCI address and its PF.
    func findVF(pci: String) throws -> (pf: PhysicalFunction, vf: VirtualFunction)
    /// `echo N > /sys/class/net/PF/device/sriov_numvfs`.
    func setNumVFs(_ pf: PhysicalFunction, _ n: Int) throws
    /// Polls until VFs 0..<count have netdevs.
    func waitForVFNetdevs(_ pf: PhysicalFunction, count: Int) throws
    /// `echo DRIVER > /sys/bus/pci/devices/PCI/driver_override; echo PCI > …/driver/unbind;
    /// echo PCI > /sys/bus/pci/drivers_probe` (`keep` false: then `echo > …/driver_override`);
    /// nil: no override, the kernel's choice.
    func bindVF(pci: String, to driver: String?, keep: Bool) throws
    /// `test -d /sys/bus/pci/drivers/NAME`: the driver's module is loaded.
    func pciDriverLoaded(_ name: String) -> Bool
    /// `test -c /dev/vfio/N`.
    func vfioGroupPresent(_ group: Int) -> Bool
}

/// A PF's devlink eswitch and the VF representors its switchdev mode makes.
public protocol EswitchOps: AnyObject {
    /// The devlink handle, eswitch mode and representors of the host-namespace netdev `pf`;
    /// the mode is nil (with the reason) when its driver has no eswitch.
    /// Equivalent to: `devlink dev eswitch show BUS/DEV; ip -d link` (phys_port_name pfNvfM).
    func eswitch(of pf: String) -> EswitchState
    /// Equivalent to: `devlink dev eswitch set BUS/DEV mode legacy|switchdev`.
    func setEswitchMode(_ h: DevlinkHandle, _ mode: EswitchMode, pf: String) throws
}

/// How a manifest names a PF.
public enum PFSelector: Hashable, Sendable, CustomStringConvertible {
    case name(String)
    case pci(String)
    case mac(MACAddress)
    public var description: String {
        switch self {
        case .name(let n): return n
        case .pci(let p): return p
        case .mac(let m): return m.description
        }
    }
}

/// procfs and the few files Plumb writes.
public protocol ProcOps: AnyObject {
    /// `sysctl -n KEY` in the namespace Plumb runs in; nil when absent here.
    func sysctl(_ key: String) throws -> String?
    /// `sysctl -w KEY=VALUE`.
    func setSysctl(_ key: String, _ value: String) throws
    /// `sysctl -w net.ipv6.conf.LINK.disable_ipv6=1` for a link of Plumb's own in the host
    /// namespace, before it comes up: a bridge port needs no IPv6, and each port with IPv6
    /// adds a multicast route the kernel walks on every link event (quadratic with ports).
    /// Nothing when the kernel has no IPv6.
    func disableIPv6(link name: String) throws
    /// The queue interrupts of a NIC (device/msi_irqs named in /proc/interrupts).
    func queueIRQs(of nic: String) throws -> [QueueIRQ]
    /// `cat /proc/irq/N/smp_affinity_list`.
    func affinity(of irq: Int) throws -> CPUSet
    /// `echo CPUS > /proc/irq/N/smp_affinity_list`.
    func setAffinity(of irq: Int, to cpus: CPUSet) throws
    /// /sys/devices/system/cpu/online.
    func onlineCPUs() throws -> CPUSet
    /// The RPS/XPS/RFS settings of every queue of `nic` (the sysfs Plumb's process sees).
    /// Equivalent to: `grep . /sys/class/net/NIC/queues/*/{rps_cpus,rps_flow_cnt,xps_cpus}`.
    func queues(of nic: String) throws -> [QueueSteeringState]
    /// `echo MASK > /sys/class/net/NIC/queues/QUEUE/{rps_cpus|xps_cpus}`.
    func setQueueCPUs(_ nic: String, queue: String, _ cpus: CPUSet) throws
    /// `echo N > /sys/class/net/NIC/queues/QUEUE/rps_flow_cnt`.
    func setFlowCount(_ nic: String, queue: String, _ count: Int) throws
    /// `cat /sys/class/net/NIC/ifindex`: which device this /sys shows under that name (sysfs
    /// shows the namespace it was mounted in, which need not be Plumb's); nil when absent.
    func sysfsIndex(of nic: String) -> Int?
    /// `cat /sys/class/net/NIC/device/{numa_node,local_cpulist}` (the node's cpulist when the
    /// device has no local_cpulist); nil without a device (veth).
    func locality(of nic: String) -> NICLocality?
    /// The running irqbalance and the IRQs its command line bans; nil when none runs.
    /// Equivalent to: `pgrep -a -x irqbalance`.
    func irqbalance() -> IRQBalanceProcess?
    /// /proc/interrupts; nil when unreadable.
    func interrupts() -> InterruptsTable?
    /// /proc/net/softnet_stat; nil when unreadable.
    func softnet() -> SoftnetStat?
    /// The text of a file Plumb may write; nil when absent.
    func read(_ file: ModprobeFile) throws -> String?
    /// Writes it atomically (mode 0644), or removes it for nil.
    func write(_ file: ModprobeFile, _ text: String?) throws
}
