import PlumbEngine
import PlumbFirewall
import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// An in-memory Linux kernel behind the engine's seam: namespaces with their own
/// ifindex spaces, links (bridges, veth pairs across namespaces, NICs, VF netdevs),
/// addresses, routes, neighbours, sysctls, nftables tables, SR-IOV PFs, NIC tuning,
/// IRQ affinities and the modprobe.d file. The real Observer, Planner, Applier and
/// Verifier run on it unprivileged. It follows the kernel where the engine relies on
/// it (see each operation, and `FakeFidelityTests`, which compare it with recordings of
/// the real kernel); `fail(_:with:)` makes any change fail like a refusal.
///
/// Not modeled: IPv6 autoconfiguration (link-local addresses and their routes, which the
/// engine ignores), asynchronous namespace cleanup (the fake removes a dead namespace's
/// veths at once), packet filtering beyond the NAT rules a port probe follows.
final class FakeKernel: Kernel {
    static let hostID = 0
    /// IFA_F_PERMANENT: what the kernel sets on every address added by hand (not SLAAC).
    static let permanent = 0x80
    var namespaces: [Int: FakeNamespace] = [:]
    /// /run/netns: name → namespace.
    var named: [String: Int] = [:]
    /// Plain files under /run/netns (a killed `ip netns add`, or someone's file).
    var placeholders: Set<String> = []
    var processes: [Int: (identity: ProcessIdentity, ns: Int)] = [:]
    /// Other nsfs files (a runtime's bind mounts).
    var paths: [String: Int] = [:]
    var pfs: [String: FakePF] = [:]
    /// devlink eswitches, by PF netdev name; a PF absent here registers no devlink device (igb).
    var eswitches: [String: FakeEswitchDevice] = [:]
    /// Loaded PCI drivers (`/sys/bus/pci/drivers/*`).
    var pciDrivers: Set<String> = ["igb", "igbvf", "vfio-pci"]
    /// Tuning of the host's NICs, by netdev name.
    var nics: [String: FakeNIC] = [:]
    var irqAffinity: [Int: CPUSet] = [:]
    var online: CPUSet = [0, 1, 2, 3]
    var files: [ModprobeFile: String] = [:]
    /// nftables tables of the host namespace, as `nft list table` prints them.
    var tables: [TableName: String] = [:]
    var softnetStat: SoftnetStat?
    var interruptsTable: InterruptsTable?
    /// A running irqbalance (nil: none), as procfs would show it.
    var irqbalance: IRQBalanceProcess?
    /// What /sys/class/net/NAME/ifindex says when it is not the host link's own index
    /// (a /sys mounted in another namespace).
    var sysfsIndex: [String: Int] = [:]
    /// When set, every ICMP echo is lost (`icmp_echo_ignore_all`, or a filter on echo).
    var dropEchoes = false
    /// When set, every packet is lost (a firewall dropping all of it).
    var dropAll = false
    /// The outside namespaces the verifier made, by their fake namespace id.
    var outsides: Set<Int> = []
    /// Connection tracking of the host namespace, by original direction.
    var conntrackTable: [FlowTuple: ConntrackEntry] = [:]
    /// Host sockets bound to ports (sock_diag).
    var sockets: [BoundSocket] = []
    /// Every change requested, in order (the names `fail` takes).
    var log: [String] = []
    var faults: [Fault] = []
    /// Dumps of every link (`ip link`), by namespace id: what a verify that should read
    /// links one by one must not do.
    var linkDumps: [Int: Int] = [:]
    /// Namespaces released by the engine (`release`), in order.
    var released: [NamespaceRef] = []
    var macCounter = 0
    private var nextNamespace = 1
    private var nextInode: UInt64 = 4_026_532_000

    init() {
        let host = FakeNamespace(id: Self.hostID, identity: NamespaceIdentity(device: 4, inode: 4_026_531_840))
        namespaces[Self.hostID] = host
        addLoopback(to: host, alias: nil, up: true)
    }

    var host: FakeNamespace { namespaces[Self.hostID]! }

    // MARK: Namespaces

    func resolve(_ ref: NamespaceRef) -> Int? {
        switch ref.canonical {
        case .host: return Self.hostID
        case .named(let n): return named[n]
        case .pid(let p): return processes[p]?.ns
        case .path(let p): return paths[p]
        }
    }

    func namespace(_ ref: NamespaceRef) throws -> FakeNamespace {
        guard let id = resolve(ref), let ns = namespaces[id] else {
            throw SystemError("open", "\(ref) (\(ref.path ?? "?"))", .noEntry)
        }
        return ns
    }

    /// A new namespace with only `lo` (down, as `unshare` or `ip netns add` leave it).
    func makeNamespace() -> FakeNamespace {
        let ns = FakeNamespace(id: nextNamespace, identity: NamespaceIdentity(device: 4, inode: nextInode))
        nextNamespace += 1
        nextInode += 1
        namespaces[ns.id] = ns
        addLoopback(to: ns, alias: nil, up: false)
        return ns
    }

    func addLoopback(to ns: FakeNamespace, alias: String?, up: Bool) {
        let index = ns.allocateIndex()
        ns.links[index] = FakeLink(index: index, name: "lo", mtu: 65536, up: false, mac: MACAddress(bytes: [0, 0, 0, 0, 0, 0]),
                                   alias: alias, isLoopback: true)
        if up { setUp(FakeLinkID(ns: ns.id, index: index), true) }
    }

    /// A namespace dies when nothing refers to it: its veths go with their peers, its
    /// devices (NICs, VF netdevs) return to the host namespace, keeping their names when free.
    func collect(_ id: Int) {
        guard id != Self.hostID, let ns = namespaces[id] else { return }
        if named.values.contains(id) || processes.values.contains(where: { $0.ns == id }) || paths.values.contains(id) { return }
        for link in ns.links.values.sorted(by: { $0.index < $1.index }) {
            let lid = FakeLinkID(ns: id, index: link.index)
            if link.kind == nil && !link.isLoopback {
                let name = host.link(named: link.name) == nil ? link.name : "dev\(link.index)"
                move(lid, to: host, name: name)
            } else if ns.links[link.index] != nil {
                removeLink(lid)
            }
        }
        namespaces[id] = nil
    }

    func hostIdentity() throws -> NamespaceIdentity { host.identity }

    func identity(of ns: NamespaceRef) throws -> NamespaceIdentity? {
        resolve(ns).flatMap { namespaces[$0]?.identity }
    }

    func process(_ pid: Int) throws -> ProcessIdentity? { processes[pid]?.identity }
    func namedNamespaceEntries() throws -> (namespaces: [String], placeholders: [String]) {
        (named.keys.sorted(), placeholders.sorted())
    }

    /// `ip netns add NAME`: lo marked and up before the name appears; a placeholder of
    /// the same name is replaced only when the request says so.
    func createNamespace(_ c: NamespaceCreation) throws -> NamespaceIdentity {
        let path = "/run/netns/\(c.name)"
        try enter("createNamespace") { SystemError("create", path, $0) }
        if named[c.name] != nil || (placeholders.contains(c.name) && !c.replacesPlaceholder) {
            throw SystemError("create", path, .exists)
        }
        placeholders.remove(c.name)
        let ns = makeNamespace()
        ns.links[1]!.alias = c.mark
        setUp(FakeLinkID(ns: ns.id, index: 1), true)
        named[c.name] = ns.id
        return ns.identity
    }

    /// `ip netns delete NAME`: the name goes; the namespace with it unless something else holds it.
    func deleteNamespace(_ name: String) throws {
        let path = "/run/netns/\(name)"
        try enter("deleteNamespace") { SystemError("umount", path, $0) }
        guard let id = named.removeValue(forKey: name) else { throw SystemError("umount", path, .noEntry) }
        collect(id)
    }

    func removeNamespacePlaceholder(_ name: String) {
        placeholders.remove(name)
    }

    func links(in ns: NamespaceRef) throws -> any LinkOps {
        FakeLinks(kernel: self, id: try namespace(ns).id, label: ns == .host ? "the host namespace" : ns.description)
    }

    func prepareLinks(in ns: NamespaceRef) {}
    func ethtool(in ns: NamespaceRef) throws -> any EthtoolOps { FakeEthtool(kernel: self, id: try namespace(ns).id) }
    func firewall(_ table: TableName) throws -> any FirewallOps { FakeFirewall(kernel: self, table: table) }
    var sriov: any SRIOVOps { FakeSRIOV(kernel: self) }
    var eswitch: any EswitchOps { FakeEswitch(kernel: self) }
    var proc: any ProcOps { FakeProc(kernel: self) }
    func release(_ ns: NamespaceRef) { released.append(ns) }
}
