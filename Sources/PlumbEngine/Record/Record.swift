import PlumbFirewall
import PlumbNetlink
import PlumbTypes

/// What one owner holds: the ownership record in /run/plumb/OWNER-ID.json. `destroy`
/// removes exactly these objects, and only while the kernel still shows the owner's
/// mark on them; it restores every original value kept here.
///
/// ```json
/// {"schema": 1, "owner": {"kind": "manifest", "manifest": "demo"},
///  "namespaces": [{"ref": {"named": "web"}, "identity": {"device": 4, "inode": 4026532281}, "created": true}],
///  "links": [{"link": {"name": "br0", "namespace": {"host": true}}, "kind": "bridge"}], …}
/// ```
public struct Record: Codable, Sendable, Equatable {
    /// The record format. A record of another schema is refused, never half-read.
    public static let currentSchema = 1

    public var schema: Int
    public var owner: Owner
    /// The manifest file last applied (informational: identity is the owner).
    public var source: String?
    public var namespaces: [NamespaceEntry]
    public var links: [LinkEntry]
    public var table: TableName?
    /// Original values of the sysctls this owner changed, restored by the last owner needing them.
    public var sysctls: [SysctlOriginal]
    /// Every sysctl this owner relies on, changed by it or not: another owner's destroy
    /// must not restore a value this one needs.
    public var requiredSysctls: [SysctlRequirement]
    public var nics: [NICOriginals]
    public var irqs: [IRQOriginal]
    public var vfs: [VFOriginal]
    public var numVFs: [NumVFsOriginal]
    /// PFs this owner brought up (absent in records written before Plumb raised PFs, and
    /// when there are none): destroy takes each down again.
    public var pfAdmin: [PFAdminOriginal]?
    /// eswitch modes this owner changed (absent when none): destroy puts each back.
    public var eswitch: [EswitchOriginal]?
    public var modprobe: [ModprobeOriginal]
    public var movedVFs: [MovedVF]
    /// Owners whose objects rest on this one's (hook containers and CNI attachments
    /// on their host layer): the layer stays while any is here.
    public var users: [OwnerID]
    /// The host layer this owner rests on.
    public var parent: OwnerID?
    /// For a hook container: the one container it is provisioned into.
    public var binding: ContainerBinding?
    /// The host ports this owner publishes (nil in records written before Plumb kept them).
    public var ports: [PublishedPort]?
    /// VFs this owner bound to a userspace driver (absent when none, and in older records).
    public var vfDrivers: [BoundVF]?
    /// Policy-routing rules this owner added, with their namespace (nil when none, and in
    /// records written before Plumb made rules): destroy removes each while it still carries
    /// Plumb's protocol (`proto 126`) — the kernel keeps no alias on a rule — unless its
    /// namespace goes with the destroy. A namespace Plumb did not create (`{pid}`, `{path}`)
    /// outlives the owner: its rules must not.
    public var rules: [RuleEntry]?

    public init(owner: Owner) {
        schema = Record.currentSchema
        self.owner = owner
        namespaces = []; links = []; sysctls = []; requiredSysctls = []; nics = []; irqs = []; vfs = []
        numVFs = []; modprobe = []; movedVFs = []; users = []
    }

    public var id: OwnerID { owner.id }

    /// Nothing left to remove or restore, and nobody resting on it.
    public var isEmpty: Bool {
        namespaces.isEmpty && links.isEmpty && table == nil && sysctls.isEmpty && nics.isEmpty && irqs.isEmpty
            && vfs.isEmpty && numVFs.isEmpty && raisedPFs.isEmpty && eswitches.isEmpty && modprobe.isEmpty && movedVFs.isEmpty
            && users.isEmpty && boundVFs.isEmpty && ruleEntries.isEmpty
    }

    /// `vfDrivers` as a list; an empty one is not written.
    public var boundVFs: [BoundVF] {
        get { vfDrivers ?? [] }
        set { vfDrivers = newValue.isEmpty ? nil : newValue }
    }

    /// `rules` as a list; an empty one is not written.
    public var ruleEntries: [RuleEntry] {
        get { rules ?? [] }
        set { rules = newValue.isEmpty ? nil : newValue }
    }

    /// The rules this owner added in the host namespace.
    public var hostRules: [RuleInfo] { ruleEntries.filter { $0.namespace == .host }.map(\.rule) }

    /// `pfAdmin` as a list; an empty one is not written.
    public var raisedPFs: [PFAdminOriginal] {
        get { pfAdmin ?? [] }
        set { pfAdmin = newValue.isEmpty ? nil : newValue }
    }

    /// `eswitch` as a list; an empty one is not written.
    public var eswitches: [EswitchOriginal] {
        get { eswitch ?? [] }
        set { eswitch = newValue.isEmpty ? nil : newValue }
    }

    public func link(_ name: String, in ns: NamespaceRef) -> LinkEntry? {
        links.first { $0.link.name == name && $0.link.namespace == ns }
    }

    public func namespace(_ ref: NamespaceRef) -> NamespaceEntry? {
        namespaces.first { $0.ref == ref }
    }
}

/// A container namespace the owner uses; `created`: Plumb made it for this owner
/// (it carries Plumb's mark on `lo` and goes with the last owner that uses it).
/// A policy-routing rule Plumb added, and where.
public struct RuleEntry: Codable, Sendable, Hashable {
    public var namespace: NamespaceRef
    public var rule: RuleInfo
    public init(namespace: NamespaceRef, rule: RuleInfo) { self.namespace = namespace; self.rule = rule }
}

public struct NamespaceEntry: Codable, Sendable, Hashable {
    public var ref: NamespaceRef
    /// nil only while the apply that creates it has not finished.
    public var identity: NamespaceIdentity?
    /// For `{pid: P}`: the process whose namespace it is (a reused pid is another process).
    public var process: ProcessIdentity?
    public var created: Bool
    public init(ref: NamespaceRef, identity: NamespaceIdentity?, process: ProcessIdentity? = nil, created: Bool) {
        self.ref = ref; self.identity = identity; self.process = process; self.created = created
    }
}

/// The kinds of link Plumb creates or takes in.
public enum OwnedLinkKind: String, Codable, Sendable, Hashable {
    case bridge
    /// A veth's host end; its peer lives in `peer`'s namespace.
    case veth
    /// A veth's end inside a container.
    case vethPeer = "veth-peer"
    /// A macvlan inside a container, on `parent` in the host namespace.
    case macvlan
    /// An ipvlan inside a container, on `parent` in the host namespace.
    case ipvlan
    /// A VLAN subinterface inside a container, on `parent` in the host namespace or in its own.
    case vlan

    /// Made on another link (the record names it as `parent`).
    public var hasParent: Bool {
        switch self {
        case .macvlan, .ipvlan, .vlan: return true
        case .bridge, .veth, .vethPeer: return false
        }
    }

    /// The kind the kernel reports for such a link (IFLA_INFO_KIND).
    public var kernelKind: String {
        switch self {
        case .bridge: return "bridge"
        case .veth, .vethPeer: return "veth"
        case .macvlan: return "macvlan"
        case .ipvlan: return "ipvlan"
        case .vlan: return "vlan"
        }
    }
}

/// A link the owner created.
public struct LinkEntry: Codable, Sendable, Hashable {
    public var link: LinkRef
    public var kind: OwnedLinkKind
    /// For a veth's host end: its peer (deleting the peer's namespace removes the pair).
    public var peer: LinkRef?
    /// For a macvlan, an ipvlan or a VLAN: the link it sits on, with the ifindex it had when planned (a
    /// parent deleted and re-created is another link, and takes its macvlans with it).
    public var parent: LinkRef?
    public init(link: LinkRef, kind: OwnedLinkKind, peer: LinkRef? = nil, parent: LinkRef? = nil) {
        var l = link
        l.index = nil   // an ifindex is only valid until the link is recreated
        self.link = l; self.kind = kind; self.peer = peer; self.parent = parent
    }
}

/// A value this owner changed: what was there first, and what it set last. It goes
/// back only while the kernel still shows `applied`: a value someone changed since is
/// theirs now, and a record naming what Plumb never set acts on nothing.
public struct Kept<Value: Codable & Hashable & Sendable>: Codable, Hashable, Sendable {
    public var original: Value
    public var applied: Value
    public init(original: Value, applied: Value) { self.original = original; self.applied = applied }
}

public struct SysctlOriginal: Codable, Sendable, Hashable {
    public var key: String
    public var value: Kept<String>
}

public struct SysctlRequirement: Codable, Sendable, Hashable {
    public var key: String
    public var value: String
}

/// Which link a name meant when Plumb changed it: its ifindex and MAC. A NIC, a PF
/// or an IRQ's NIC is restored only while the link by that name is still this one.
public struct LinkIdentity: Codable, Sendable, Hashable, CustomStringConvertible {
    public var index: Int
    public var mac: MACAddress?
    public init(index: Int, mac: MACAddress?) { self.index = index; self.mac = mac }
    public init(_ l: LinkInfo) { index = l.index; mac = l.mac }
    public func matches(_ l: LinkInfo) -> Bool { l.index == index && l.mac == mac }
    public var description: String { "ifindex \(index)" + (mac.map { ", \($0)" } ?? "") }
}

/// The first-seen value of each NIC setting this owner changed.
public struct NICOriginals: Codable, Sendable, Hashable {
    public var nic: String
    public var link: LinkIdentity?
    public var ringsRx: Kept<Int>?, ringsTx: Kept<Int>?
    public var channelsCombined: Kept<Int>?, channelsRx: Kept<Int>?, channelsTx: Kept<Int>?
    /// Coalescing as records before full coalescing kept it; new records use `coalesce`.
    public var adaptiveRx: Kept<Bool>?, rxUsecs: Kept<Int>?, rxFrames: Kept<Int>?
    /// Coalescing parameters by `Ethtool.CoalesceParam` (switches as 0/1).
    public var coalesce: [Ethtool.CoalesceParam: Kept<Int>]?
    /// GRO as records before any-feature offloads kept it; new records use `features["rx-gro"]`.
    public var gro: Kept<Bool>?
    /// Netdev features by kernel name.
    public var features: [String: Kept<Bool>]?
    public var txqueuelen: Kept<Int>?
    /// The RSS indirection table and hash key, and the rx flow hash fields by flow type.
    public var rssIndirection: Kept<[Int]>?, rssKey: Kept<[UInt8]>?
    public var hashFields: [RxFlowType: Kept<RxHashFields>]?
    /// Per-queue RPS/XPS/RFS.
    public var queues: [QueueOriginal]?
    public init(nic: String) { self.nic = nic }
    public var isEmpty: Bool {
        ringsRx == nil && ringsTx == nil && channelsCombined == nil && channelsRx == nil && channelsTx == nil
            && adaptiveRx == nil && rxUsecs == nil && rxFrames == nil && coalesce == nil && gro == nil && features == nil
            && txqueuelen == nil && queues == nil && rssIndirection == nil && rssKey == nil && hashFields == nil
    }
}

/// The first-seen steering of one queue ("rx-0": rps_cpus, rps_flow_cnt; "tx-0": xps_cpus).
public struct QueueOriginal: Codable, Sendable, Hashable {
    public var queue: String
    public var cpus: Kept<CPUSet>?
    public var flowCount: Kept<Int>?
    public init(queue: String) { self.queue = queue }
}

public struct IRQOriginal: Codable, Sendable, Hashable {
    public var irq: Int
    public var nic: String
    public var link: LinkIdentity?
    public var queue: String
    public var cpus: Kept<CPUSet>
}

/// The first-seen PF-side settings of one VF this owner changed.
public struct VFOriginal: Codable, Sendable, Hashable {
    public var pf: String
    public var link: LinkIdentity?
    public var vf: Int
    public var driver: String?
    public var mac: Kept<MACAddress>?
    public var vlan: Kept<VFVLAN>?
    public var maxTxRate: Kept<Int>?
    public var minTxRate: Kept<Int>?
    public var spoofCheck: Kept<Bool>?
    public var linkState: Kept<VFLinkState>?
    public var queryRSS: Kept<Bool>?
    public var trust: Kept<Bool>?
    public var isEmpty: Bool {
        mac == nil && vlan == nil && maxTxRate == nil && minTxRate == nil && spoofCheck == nil && linkState == nil
            && queryRSS == nil && trust == nil
    }
}

public struct NumVFsOriginal: Codable, Sendable, Hashable {
    public var pf: String
    public var link: LinkIdentity?
    public var count: Kept<Int>
}

/// A PF's administrative state before this owner brought it up (`original` false,
/// `applied` true): it goes down again only while it is still up.
/// A PF's eswitch mode before this owner changed it. The devlink handle (bus and PCI
/// address) is the device's identity: the PF's netdev name is only what the plan shows.
public struct EswitchOriginal: Codable, Sendable, Hashable {
    public var pf: String
    public var device: DevlinkHandle
    public var mode: Kept<EswitchMode>
    public init(pf: String, device: DevlinkHandle, mode: Kept<EswitchMode>) { self.pf = pf; self.device = device; self.mode = mode }
}

public struct PFAdminOriginal: Codable, Sendable, Hashable {
    public var pf: String
    public var link: LinkIdentity?
    public var up: Kept<Bool>
    public init(pf: String, link: LinkIdentity?, up: Kept<Bool>) { self.pf = pf; self.link = link; self.up = up }
}

public struct ModprobeOriginal: Codable, Sendable, Hashable {
    public var file: ModprobeFile
    /// The file's text before Plumb wrote it (nil: it did not exist), and what Plumb wrote.
    public var text: Kept<String?>
}

/// A VF bound to a userspace driver: its driver before (`original`; nil: none) and the one
/// Plumb bound (`applied`). Destroy binds the original back while the VF still has `applied`.
public struct BoundVF: Codable, Sendable, Hashable {
    public var pf: String
    public var vf: Int
    /// Its PCI address (nil when the VF was made by the same apply and not yet read).
    public var pciAddress: String?
    public var iommuGroup: Int?
    public var driver: Kept<String?>
    public init(pf: String, vf: Int, pciAddress: String?, iommuGroup: Int?, driver: Kept<String?>) {
        self.pf = pf; self.vf = vf; self.pciAddress = pciAddress; self.iommuGroup = iommuGroup; self.driver = driver
    }
}

/// A VF moved into a container: destroy moves it back under its old name.
public struct MovedVF: Codable, Sendable, Hashable {
    public var pf: String
    public var vf: Int
    public var link: LinkRef
    public var hostName: String?
    /// Its MTU and alias in the host namespace before the move, put back when it returns.
    public var previous: LinkSettings?
    public init(pf: String, vf: Int, link: LinkRef, hostName: String?, previous: LinkSettings? = nil) {
        var l = link
        l.index = nil
        self.pf = pf; self.vf = vf; self.link = l; self.hostName = hostName; self.previous = previous
    }
}

/// The one container a hook container layer is provisioned into.
public struct ContainerBinding: Codable, Sendable, Hashable {
    public var containerID: String
    public var process: ProcessIdentity?
    public var namespace: NamespaceIdentity?
    public init(containerID: String, process: ProcessIdentity?, namespace: NamespaceIdentity?) {
        self.containerID = containerID; self.process = process; self.namespace = namespace
    }
}

extension NICOriginals {
    /// Every kept coalescing original, those of older records (adaptiveRx, rxUsecs, rxFrames
    /// fields) included.
    public var coalesceOriginals: [Ethtool.CoalesceParam: Kept<Int>] {
        var kept = coalesce ?? [:]
        if let a = adaptiveRx, kept[.adaptiveRx] == nil {
            kept[.adaptiveRx] = Kept(original: a.original ? 1 : 0, applied: a.applied ? 1 : 0)
        }
        if let u = rxUsecs, kept[.rxUsecs] == nil { kept[.rxUsecs] = u }
        if let f = rxFrames, kept[.rxFrames] == nil { kept[.rxFrames] = f }
        return kept
    }
}
