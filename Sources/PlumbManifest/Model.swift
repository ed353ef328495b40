import PlumbTypes
/// Manifest v1 (the README's manifest reference): the typed, validated form of a manifest file.
/// Every value type here is plain data; `ManifestLoader` builds it from YAML/JSON and
/// `Validator` checks it before any kernel call.
///
/// ```yaml
/// version: 1
/// bridges: [{name: br0, addresses: [10.88.0.1/16]}]
/// containers:
///   - name: web
///     netns: web
///     interfaces: [{name: eth0, veth: {bridge: br0}, addresses: [10.88.0.2/16]}]
///     routes: [{to: default, via: 10.88.0.1}]
/// ```
public struct Manifest: Sendable, Equatable {
    /// Identifies the manifest's objects in /run/plumb and in link aliases.
    /// Optional `name:` key; defaults to the file's base name without extension.
    public var name: String
    public var version: Int
    public var host: Host
    public var nics: [NIC]
    public var bridges: [Bridge]
    public var containers: [Container]
    /// Names of routing tables (`tables: {storage: 100}`), usable as a route's or rule's `table`.
    public var tables: [String: Int] = [:]
    /// Where each value came from: "containers[1].interfaces[0].addresses[0]" → line 14.
    public var lines: SourceLines

    public init(name: String, version: Int = 1, host: Host = Host(), nics: [NIC] = [],
                bridges: [Bridge] = [], containers: [Container] = [], lines: SourceLines = SourceLines()) {
        self.name = name; self.version = version; self.host = host; self.nics = nics
        self.bridges = bridges; self.containers = containers; self.lines = lines
    }
}

/// Path → line map kept beside the model so semantic checks can cite lines too.
public struct SourceLines: Sendable, Equatable {
    public var byPath: [String: Int]
    public init(_ byPath: [String: Int] = [:]) { self.byPath = byPath }
    /// The line of `path`, or of its nearest recorded ancestor.
    public func line(of path: String) -> Int? {
        var p = path
        while true {
            if let l = byPath[p] { return l }
            guard let cut = p.lastIndex(where: { $0 == "." || $0 == "[" }) else { return nil }
            p = String(p[..<cut])
        }
    }
}

public struct Host: Sendable, Equatable {
    /// Ordered as written; values kept as the strings /proc/sys takes.
    public var sysctl: [Sysctl]
    /// Policy-routing rules of the host's namespace, owned by proof (`proto 126` and the record).
    public var rules: [Rule]
    public init(sysctl: [Sysctl] = [], rules: [Rule] = []) { self.sysctl = sysctl; self.rules = rules }
}

public struct Sysctl: Sendable, Equatable {
    public var key: String      // dotted, e.g. net.ipv4.ip_forward
    public var value: String
    public init(key: String, value: String) { self.key = key; self.value = value }
}

// MARK: NICs (physical functions)

public struct NIC: Sendable, Equatable {
    public enum Selector: Sendable, Equatable {
        case name(String)
        case pci(String)   // "0000:01:00.0"
        case mac(MACAddress)
    }
    public var selector: Selector
    public var sriov: SRIOV?
    public var tuning: Tuning?
    public init(selector: Selector, sriov: SRIOV? = nil, tuning: Tuning? = nil) {
        self.selector = selector; self.sriov = sriov; self.tuning = tuning
    }
    /// The name containers use in `vf: {nic: …}`: the `name`, else the PCI address or MAC text.
    public var reference: String {
        switch selector {
        case .name(let n): return n
        case .pci(let p): return p
        case .mac(let m): return m.description
        }
    }
}

public struct SRIOV: Sendable, Equatable {
    public var numVFs: Int
    public var persist: Bool
    /// Allows a change of a non-zero VF count, which igb can only do through 0 (destroys live VFs).
    public var allowDisruptive: Bool
    public var vfs: [VFConfig]
    /// The PF's devlink eswitch mode; nil leaves it as it is.
    public var eswitchMode: EswitchMode?
    public init(numVFs: Int, persist: Bool = false, allowDisruptive: Bool = false, vfs: [VFConfig] = [],
                eswitchMode: EswitchMode? = nil) {
        self.numVFs = numVFs; self.persist = persist; self.allowDisruptive = allowDisruptive; self.vfs = vfs
        self.eswitchMode = eswitchMode
    }
}

public struct VFConfig: Sendable, Equatable {
    public var index: Int
    public var vlan: Int?          // 0...4095
    public var qos: Int?           // 0...7
    public var vlanProto: VLANProtocol?
    public var mac: MACAddress?
    public var spoofCheck: Bool?
    public var trust: Bool?
    public var maxTxRate: Int?     // Mbps, 0 = unlimited
    public var minTxRate: Int?     // Mbps, 0 = none (igb, ixgbe, i40e: unsupported)
    public var linkState: VFLinkState?  // igb: unsupported
    public var queryRSS: Bool?     // may the VF query the PF's RSS configuration (ixgbe, netdevsim)
    public init(index: Int, vlan: Int? = nil, qos: Int? = nil, vlanProto: VLANProtocol? = nil,
                mac: MACAddress? = nil, spoofCheck: Bool? = nil, trust: Bool? = nil,
                maxTxRate: Int? = nil, minTxRate: Int? = nil, linkState: VFLinkState? = nil, queryRSS: Bool? = nil) {
        self.index = index; self.vlan = vlan; self.qos = qos; self.vlanProto = vlanProto; self.mac = mac
        self.spoofCheck = spoofCheck; self.trust = trust; self.maxTxRate = maxTxRate; self.minTxRate = minTxRate
        self.linkState = linkState; self.queryRSS = queryRSS
    }
}

public struct Tuning: Sendable, Equatable {
    public struct Rings: Sendable, Equatable {
        public var rx: Int?; public var tx: Int?
        public init(rx: Int? = nil, tx: Int? = nil) { self.rx = rx; self.tx = tx }
    }
    public struct Channels: Sendable, Equatable {
        public var combined: Int?; public var rx: Int?; public var tx: Int?
        public init(combined: Int? = nil, rx: Int? = nil, tx: Int? = nil) {
            self.combined = combined; self.rx = rx; self.tx = tx
        }
    }
    /// `coalesce:` — `ethtool -C`: the adaptive switches, and µs/frames before an interrupt,
    /// for rx and tx, each also in its `Irq` variant (while an interrupt is being serviced).
    public struct Coalesce: Sendable, Equatable {
        /// The manifest's keys, in `ethtool -c` order.
        public enum Key: String, CaseIterable, Sendable {
            case adaptiveRx, adaptiveTx
            case rxUsecs, rxFrames, rxUsecsIrq, rxFramesIrq
            case txUsecs, txFrames, txUsecsIrq, txFramesIrq
            public var isSwitch: Bool { self == .adaptiveRx || self == .adaptiveTx }
        }
        /// Declared values; a switch is 0 (off) or 1 (on).
        public var values: [Key: Int]
        public init(_ values: [Key: Int]) { self.values = values }
        public init(adaptiveRx: Bool? = nil, rxUsecs: Int? = nil, rxFrames: Int? = nil) {
            values = [:]
            values[.adaptiveRx] = adaptiveRx.map { $0 ? 1 : 0 }
            values[.rxUsecs] = rxUsecs; values[.rxFrames] = rxFrames
        }
        public var adaptiveRx: Bool? { values[.adaptiveRx].map { $0 != 0 } }
        public var rxUsecs: Int? { values[.rxUsecs] }
        public var rxFrames: Int? { values[.rxFrames] }
    }
    /// `offloads:` — any netdev feature by the name `ethtool -k` prints (or its short
    /// `ethtool -K` alias: gro, lro, tso, …), in the manifest's order.
    public struct Offloads: Sendable, Equatable {
        public struct Setting: Sendable, Equatable {
            public var name: String; public var on: Bool
            public init(_ name: String, _ on: Bool) { self.name = name; self.on = on }
        }
        public var settings: [Setting]
        public init(_ settings: [Setting]) { self.settings = settings }
        public init(gro: Bool? = nil) { settings = gro.map { [Setting("gro", $0)] } ?? [] }
        public var gro: Bool? { settings.first { $0.name == "gro" || $0.name == "generic-receive-offload" }?.on }
    }
    /// `rps:` / `xps:` — which CPUs a queue's packets are steered to (sysfs
    /// `queues/rx-N/rps_cpus`, `queues/tx-N/xps_cpus`), and for RPS the RFS flow table
    /// size of the queue (`rps_flow_cnt`).
    public struct QueueSteering: Sendable, Equatable {
        public enum CPUs: Sendable, Equatable {
            /// The CPUs local to the NIC, one per queue in turn.
            case spread
            case list(String)   // "0-1"
        }
        public var cpus: CPUs
        public var flowEntries: Int?
        public init(cpus: CPUs, flowEntries: Int? = nil) { self.cpus = cpus; self.flowEntries = flowEntries }
    }
    /// One setting for every queue, or one per queue in queue order.
    public enum Steering: Sendable, Equatable {
        case all(QueueSteering)
        case each([QueueSteering])
        /// RFS: a flow table asked for on some queue.
        public var wantsFlows: Bool {
            switch self {
            case .all(let q): return (q.flowEntries ?? 0) > 0
            case .each(let qs): return qs.contains { ($0.flowEntries ?? 0) > 0 }
            }
        }
    }
    public enum IRQAffinity: Sendable, Equatable {
        case spread
        case lists([String])   // one CPU list per queue, e.g. ["0", "1-3"]
    }
    /// `rss:` — `ethtool -X` (the indirection table, the hash key) and `ethtool -N … rx-flow-hash`.
    public struct RSS: Sendable, Equatable {
        public enum Table: Sendable, Equatable {
            /// `ethtool -X NIC equal N`: entry i → queue i mod N.
            case equal(Int)
            /// `ethtool -X NIC weight W0 W1 …`: queue q gets a share of entries proportional to Wq.
            case weights([Int])
        }
        public struct HashFields: Sendable, Equatable {
            public var flow: RxFlowType
            public var fields: RxHashFields
            public init(_ flow: RxFlowType, _ fields: RxHashFields) { self.flow = flow; self.fields = fields }
        }
        public var table: Table?
        /// Colon-separated hex bytes, "6d:5a:…" (its syntax is checked by the validator).
        public var hashKey: String?
        /// In the manifest's order.
        public var hashFields: [HashFields]
        public init(table: Table? = nil, hashKey: String? = nil, hashFields: [HashFields] = []) {
            self.table = table; self.hashKey = hashKey; self.hashFields = hashFields
        }

        /// "6d:5a:56" → [0x6d, 0x5a, 0x56]; nil unless every part is two hex digits.
        public static func keyBytes(_ text: String) -> [UInt8]? {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard !parts.isEmpty, parts.allSatisfy({ $0.count == 2 }) else { return nil }
            let bytes = parts.compactMap { UInt8($0, radix: 16) }
            return bytes.count == parts.count ? bytes : nil
        }
    }
    public var rings: Rings?
    public var channels: Channels?
    public var coalesce: Coalesce?
    public var offloads: Offloads?
    public var irqAffinity: IRQAffinity?
    public var rps: Steering?
    public var xps: Steering?
    public var rss: RSS?
    /// `ip link set NIC txqueuelen N`.
    public var txqueuelen: Int?
    public init(rings: Rings? = nil, channels: Channels? = nil, coalesce: Coalesce? = nil,
                offloads: Offloads? = nil, irqAffinity: IRQAffinity? = nil, rps: Steering? = nil,
                xps: Steering? = nil, rss: RSS? = nil, txqueuelen: Int? = nil) {
        self.rings = rings; self.channels = channels; self.coalesce = coalesce
        self.offloads = offloads; self.irqAffinity = irqAffinity
        self.rps = rps; self.xps = xps; self.rss = rss; self.txqueuelen = txqueuelen
    }
}

// MARK: Bridges

public struct Bridge: Sendable, Equatable {
    public var name: String
    public var addresses: [IPPrefix]
    public var mtu: Int?
    public var nat: NAT?
    public init(name: String, addresses: [IPPrefix] = [], mtu: Int? = nil, nat: NAT? = nil) {
        self.name = name; self.addresses = addresses; self.mtu = mtu; self.nat = nat
    }
}

public struct NAT: Sendable, Equatable {
    public var masquerade: Bool
    public init(masquerade: Bool = false) { self.masquerade = masquerade }
}

// MARK: Containers

public struct Container: Sendable, Equatable {
    public var name: String
    /// nil only for a container meant for the OCI hook, which supplies the pid.
    /// Never `.host`: the decoder cannot produce it (`netns: host` is the named
    /// namespace /run/netns/host), and the engine refuses the host's own namespace
    /// by identity, whatever name reaches it.
    public var netns: NamespaceRef?
    public var interfaces: [Interface]
    public var routes: [Route]
    public var ports: [PortForward]
    /// Policy-routing rules of the container's namespace (`ip rule`).
    public var rules: [Rule]

    /// True when a VLAN's `parent` names another interface of this container (then it is
    /// made inside, next to it); a parent by the VLAN's own name is the host's link.
    public func hasSibling(_ parent: String, of iface: String) -> Bool {
        parent != iface && interfaces.contains { $0.name == parent }
    }

    public init(name: String, netns: NamespaceRef?, interfaces: [Interface] = [], routes: [Route] = [],
                ports: [PortForward] = [], rules: [Rule] = []) {
        self.name = name; self.netns = netns; self.interfaces = interfaces; self.routes = routes; self.ports = ports
        self.rules = rules
    }
}

public struct Interface: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A veth pair: the peer (this interface) lives in the container, the host end on `bridge`.
        case veth(bridge: String, hostName: String?)
        /// VF `index` of the PF that `nic` names.
        case vf(nic: String, index: Int)
        /// VF `index` of the PF that `nic` names, bound to a userspace driver (DPDK): no netdev,
        /// nothing moved or renamed; the container is handed its /dev/vfio group.
        case userspaceVF(nic: String, index: Int, driver: VFUserspaceDriver)
        /// A macvlan on `parent`, a link of the host namespace (a NIC, a VF's netdev, a
        /// bridge), born in the container's namespace under the interface's name.
        case macvlan(parent: String, mode: MacvlanMode)
        /// An ipvlan on `parent`, a link of the host namespace, born in the container's
        /// namespace under the interface's name; it has its parent's MAC.
        case ipvlan(parent: String, mode: IpvlanMode, flag: IpvlanFlag)
        /// A VLAN subinterface (`id` 1...4094) of `parent`: another interface of the same
        /// container (then it is made inside), else a link of the host namespace (then it is
        /// born in the container's namespace).
        case vlan(parent: String, id: Int, protocol: VLANProtocol)
    }
    public var name: String
    public var kind: Kind
    /// The VF a `vf:` interface names, whichever driver it gets.
    public var vfReference: (nic: String, index: Int)? {
        switch kind {
        case .vf(let nic, let index), .userspaceVF(let nic, let index, _): return (nic, index)
        case .veth, .macvlan, .ipvlan, .vlan: return nil
        }
    }
    public var addresses: [IPPrefix]
    public var mtu: Int?
    public var mac: MACAddress?
    /// What the CNI `sbr` plugin builds: a routing table of this interface's own (its subnet
    /// and its routes, default included) and a rule `from ADDRESS lookup TABLE` per address,
    /// so replies leave by the interface their request came in on.
    public var sourceRouting: Bool
    public init(name: String, kind: Kind, addresses: [IPPrefix] = [], mtu: Int? = nil, mac: MACAddress? = nil,
                sourceRouting: Bool = false) {
        self.name = name; self.kind = kind; self.addresses = addresses; self.mtu = mtu; self.mac = mac
        self.sourceRouting = sourceRouting
    }

    /// The link it sits on, for the kinds made on another link (macvlan, ipvlan, vlan).
    public var parent: String? {
        switch kind {
        case .macvlan(let p, _), .ipvlan(let p, _, _), .vlan(let p, _, _): return p
        case .veth, .vf, .userspaceVF: return nil
        }
    }
}

public struct Route: Sendable, Equatable {
    /// `default` decodes as 0.0.0.0/0 (or ::/0 when `via` is IPv6).
    public var to: IPPrefix
    public var via: IPAddress?
    /// Interface name inside the container; derived from `via` when absent.
    public var dev: String?
    public var metric: Int?
    /// The routing table (`ip route add … table T`); nil is main (254).
    public var table: Int?
    public init(to: IPPrefix, via: IPAddress? = nil, dev: String? = nil, metric: Int? = nil, table: Int? = nil) {
        self.to = to; self.via = via; self.dev = dev; self.metric = metric; self.table = table
    }

    /// The table the kernel files the route in: main unless declared.
    public var kernelTable: Int { table ?? RoutingTable.main }

    /// The metric the kernel gives the route: IPv6 turns 0 (or none) into 1024
    /// (IP6_RT_PRIO_USER), so that is the value to ask for and to compare with.
    public var kernelMetric: Int {
        let m = metric ?? 0
        return to.family == .v6 && m == 0 ? 1024 : m
    }
}

/// Routing table numbers iproute2 names (`/etc/iproute2/rt_tables`).
public enum RoutingTable {
    public static let main = 254
    public static let `default` = 253
    public static let local = 255
    /// `table: main | default | N`.
    public static let names = ["main": main, "default": `default`]
    /// Where a `sourceRouting` interface's table is numbered from (the `sbr` plugin's first).
    public static let sourceRoutingBase = 100
}

/// A policy-routing rule (`ip rule add [priority P] from SRC to DST iif I oif O fwmark M/MASK lookup T`).
/// A rule is of one family; one with neither `from` nor `to` is made for IPv4 and IPv6 both.
public struct Rule: Sendable, Equatable {
    public var from: IPPrefix?
    public var to: IPPrefix?
    public var iif: String?
    public var oif: String?
    public var fwmark: UInt32?
    public var fwmask: UInt32?
    public var table: Int
    public var priority: Int?
    public init(from: IPPrefix? = nil, to: IPPrefix? = nil, iif: String? = nil, oif: String? = nil, fwmark: UInt32? = nil,
                fwmask: UInt32? = nil, table: Int, priority: Int? = nil) {
        self.from = from; self.to = to; self.iif = iif; self.oif = oif; self.fwmark = fwmark; self.fwmask = fwmask
        self.table = table; self.priority = priority
    }

    /// The families the rule is made in: its addresses', else both.
    public var families: [IPFamily] {
        if let f = from?.family ?? to?.family { return [f] }
        return [.v4, .v6]
    }
}

public struct PortForward: Sendable, Equatable {
    public enum Proto: String, Sendable, Equatable { case tcp, udp }
    public var host: Int
    public var container: Int
    public var proto: Proto
    public init(host: Int, container: Int, proto: Proto = .tcp) {
        self.host = host; self.container = container; self.proto = proto
    }
}

extension Manifest {
    /// True when the file names the manifest itself (`name:`); otherwise its name is
    /// its file's, and the file is part of its identity.
    public var declaresName: Bool { lines.byPath["name"] != nil }
}
