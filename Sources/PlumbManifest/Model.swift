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
    public init(sysctl: [Sysctl] = []) { self.sysctl = sysctl }
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
    public var linkState: VFLinkState?  // igb: unsupported
    public init(index: Int, vlan: Int? = nil, qos: Int? = nil, vlanProto: VLANProtocol? = nil,
                mac: MACAddress? = nil, spoofCheck: Bool? = nil, trust: Bool? = nil,
                maxTxRate: Int? = nil, linkState: VFLinkState? = nil) {
        self.index = index; self.vlan = vlan; self.qos = qos; self.vlanProto = vlanProto; self.mac = mac
        self.spoofCheck = spoofCheck; self.trust = trust; self.maxTxRate = maxTxRate; self.linkState = linkState
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
    public struct Coalesce: Sendable, Equatable {
        public var adaptiveRx: Bool?; public var rxUsecs: Int?; public var rxFrames: Int?
        public init(adaptiveRx: Bool? = nil, rxUsecs: Int? = nil, rxFrames: Int? = nil) {
            self.adaptiveRx = adaptiveRx; self.rxUsecs = rxUsecs; self.rxFrames = rxFrames
        }
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
    public var rings: Rings?
    public var channels: Channels?
    public var coalesce: Coalesce?
    public var offloads: Offloads?
    public var irqAffinity: IRQAffinity?
    public var rps: Steering?
    public var xps: Steering?
    /// `ip link set NIC txqueuelen N`.
    public var txqueuelen: Int?
    public init(rings: Rings? = nil, channels: Channels? = nil, coalesce: Coalesce? = nil,
                offloads: Offloads? = nil, irqAffinity: IRQAffinity? = nil, rps: Steering? = nil,
                xps: Steering? = nil, txqueuelen: Int? = nil) {
        self.rings = rings; self.channels = channels; self.coalesce = coalesce
        self.offloads = offloads; self.irqAffinity = irqAffinity
        self.rps = rps; self.xps = xps; self.txqueuelen = txqueuelen
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
    /// True when a VLAN's `parent` names another interface of this container (then it is
    /// made inside, next to it); a parent by the VLAN's own name is the host's link.
    public func hasSibling(_ parent: String, of iface: String) -> Bool {
        parent != iface && interfaces.contains { $0.name == parent }
    }

    public init(name: String, netns: NamespaceRef?, interfaces: [Interface] = [], routes: [Route] = [],
                ports: [PortForward] = []) {
        self.name = name; self.netns = netns; self.interfaces = interfaces; self.routes = routes; self.ports = ports
    }
}

public struct Interface: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A veth pair: the peer (this interface) lives in the container, the host end on `bridge`.
        case veth(bridge: String, hostName: String?)
        /// VF `index` of the PF that `nic` names.
        case vf(nic: String, index: Int)
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
    public var addresses: [IPPrefix]
    public var mtu: Int?
    public var mac: MACAddress?
    public init(name: String, kind: Kind, addresses: [IPPrefix] = [], mtu: Int? = nil, mac: MACAddress? = nil) {
        self.name = name; self.kind = kind; self.addresses = addresses; self.mtu = mtu; self.mac = mac
    }

    /// The link it sits on, for the kinds made on another link (macvlan, ipvlan, vlan).
    public var parent: String? {
        switch kind {
        case .macvlan(let p, _), .ipvlan(let p, _, _), .vlan(let p, _, _): return p
        case .veth, .vf: return nil
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
    public init(to: IPPrefix, via: IPAddress? = nil, dev: String? = nil, metric: Int? = nil) {
        self.to = to; self.via = via; self.dev = dev; self.metric = metric
    }

    /// The metric the kernel gives the route: IPv6 turns 0 (or none) into 1024
    /// (IP6_RT_PRIO_USER), so that is the value to ask for and to compare with.
    public var kernelMetric: Int {
        let m = metric ?? 0
        return to.family == .v6 && m == 0 ? 1024 : m
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
