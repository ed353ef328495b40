import PlumbTypes

/// One kernel change, as a case carrying everything it needs. Its command text
/// (`Action+Command`), its undo (`Action+Undo`), its mark in the ownership record
/// (`Record+Actions`) and its execution (`Executor`) are exhaustive switches over
/// these cases: a new case does not compile until every stage handles it.
public enum Action: Hashable, Sendable, Codable {
    case setSysctl(SysctlWrite)
    case createNamespace(NamespaceCreation)
    case deleteNamespace(NamespaceDeletion)
    case createBridge(BridgeCreation)
    case createVeth(VethCreation)
    case createMacvlan(MacvlanCreation)
    case createIpvlan(IpvlanCreation)
    case createVlan(VlanCreation)
    case setLink(LinkUpdate)
    case deleteLink(LinkDeletion)
    case addAddress(AddressChange)
    case deleteAddress(AddressChange)
    case addRoute(RouteChange)
    case deleteRoute(RouteChange)
    case addRule(RuleChange)
    case deleteRule(RuleChange)
    case replaceTable(TableReplacement)
    case deleteTable(TableDeletion)
    case setRings(RingsChange)
    case setChannels(ChannelsChange)
    case setCoalesce(CoalesceChange)
    case setOffload(OffloadChange)
    case setIRQAffinity(IRQAffinityChange)
    case setPFAdmin(PFAdminChange)
    case setEswitchMode(EswitchChange)
    case setTxQueueLen(TxQueueLenChange)
    case setQueueSteering(QueueSteeringChange)
    case setRSS(RSSChange)
    case setRxHash(RxHashChange)
    case setNumVFs(NumVFsWrite)
    case writeModprobe(ModprobeWrite)
    case setVF(VFUpdate)
    case moveVF(VFMove)
    case returnVF(VFReturn)
    case bindVF(VFBind)

    /// The action's name in JSON output (`plan --output json`).
    public var name: String {
        switch self {
        case .setSysctl: return "set-sysctl"
        case .createNamespace: return "create-netns"
        case .deleteNamespace: return "delete-netns"
        case .createBridge: return "create-bridge"
        case .createVeth: return "create-veth"
        case .createMacvlan: return "create-macvlan"
        case .createIpvlan: return "create-ipvlan"
        case .createVlan: return "create-vlan"
        case .setLink: return "set-link"
        case .deleteLink: return "delete-link"
        case .addAddress: return "add-address"
        case .deleteAddress: return "delete-address"
        case .addRoute: return "add-route"
        case .deleteRoute: return "delete-route"
        case .addRule: return "add-rule"
        case .deleteRule: return "delete-rule"
        case .replaceTable: return "replace-nft-table"
        case .deleteTable: return "delete-nft-table"
        case .setRings: return "set-rings"
        case .setChannels: return "set-channels"
        case .setCoalesce: return "set-coalesce"
        case .setOffload: return "set-offload"
        case .setIRQAffinity: return "set-irq-affinity"
        case .setPFAdmin: return "set-pf-admin"
        case .setEswitchMode: return "set-eswitch-mode"
        case .setTxQueueLen: return "set-txqueuelen"
        case .setQueueSteering: return "set-queue-steering"
        case .setRSS: return "set-rss"
        case .setRxHash: return "set-rx-flow-hash"
        case .setNumVFs: return "set-numvfs"
        case .writeModprobe: return "persist-max-vfs"
        case .setVF: return "set-vf"
        case .moveVF: return "move-vf"
        case .returnVF: return "return-vf"
        case .bindVF: return "bind-vf-driver"
        }
    }

    /// "+" creates, "-" removes, "~" changes: the plan's first column.
    public var sign: String {
        switch self {
        case .createNamespace, .createBridge, .createVeth, .createMacvlan, .createIpvlan, .createVlan, .addAddress, .addRoute, .addRule: return "+"
        case .deleteNamespace, .deleteLink, .deleteAddress, .deleteRoute, .deleteRule, .deleteTable: return "-"
        case .setSysctl, .setLink, .replaceTable, .setRings, .setChannels, .setCoalesce, .setOffload,
             .setIRQAffinity, .setPFAdmin, .setEswitchMode, .setTxQueueLen, .setQueueSteering, .setNumVFs, .writeModprobe,
             .setVF, .moveVF, .returnVF, .bindVF, .setRSS, .setRxHash: return "~"
        }
    }

    /// The object it is about, for JSON output and errors.
    public var object: String {
        switch self {
        case .setSysctl(let s): return s.key
        case .createNamespace(let n): return n.name
        case .deleteNamespace(let n): return n.name
        case .createBridge(let b): return b.name
        case .createVeth(let v): return v.hostName
        case .createMacvlan(let m): return m.link.name
        case .createIpvlan(let m): return m.link.name
        case .createVlan(let v): return v.link.name
        case .setLink(let u): return u.link.name
        case .deleteLink(let d): return d.link.name
        case .addAddress(let a), .deleteAddress(let a): return a.link.name
        case .addRoute(let r), .deleteRoute(let r): return r.link.name
        case .addRule(let r), .deleteRule(let r): return "rule \(r.rule.text)"
        case .replaceTable(let t): return t.table.description
        case .deleteTable(let t): return t.table.description
        case .setRings(let c): return c.nic
        case .setChannels(let c): return c.nic
        case .setCoalesce(let c): return c.nic
        case .setOffload(let c): return c.nic
        case .setIRQAffinity(let c): return "irq \(c.irq)"
        case .setPFAdmin(let c): return c.pf
        case .setEswitchMode(let c): return c.pf
        case .setTxQueueLen(let c): return c.nic
        case .setQueueSteering(let c): return "\(c.nic) \(c.queue)"
        case .setRSS(let c): return c.nic
        case .setRxHash(let c): return "\(c.nic) \(c.flow.rawValue)"
        case .setNumVFs(let c): return c.pf
        case .writeModprobe(let w): return w.file.path
        case .setVF(let u): return "\(u.pf) vf \(u.vf)"
        case .moveVF(let m): return "\(m.pf) vf \(m.vf)"
        case .returnVF(let r): return "\(r.pf) vf \(r.vf)"
        case .bindVF(let b): return "\(b.pf) vf \(b.vf)"
        }
    }

    /// The namespace it happens in.
    public var namespace: NamespaceRef {
        switch self {
        case .setLink(let u): return u.link.namespace
        case .deleteLink(let d): return d.link.namespace
        case .addAddress(let a), .deleteAddress(let a): return a.link.namespace
        case .addRoute(let r), .deleteRoute(let r): return r.link.namespace
        case .addRule(let r), .deleteRule(let r): return r.namespace
        case .returnVF(let r): return r.from.namespace
        case .createMacvlan(let m): return m.link.namespace
        case .createIpvlan(let m): return m.link.namespace
        case .createVlan(let v): return v.link.namespace
        case .setSysctl, .createNamespace, .deleteNamespace, .createBridge, .createVeth, .replaceTable, .deleteTable,
             .setRings, .setChannels, .setCoalesce, .setOffload, .setIRQAffinity, .setPFAdmin, .setEswitchMode, .setTxQueueLen,
             .setQueueSteering, .setNumVFs, .writeModprobe, .setVF, .moveVF, .bindVF, .setRSS, .setRxHash:
            return .host
        }
    }
}

/// A planned action with the reason the planner gives for it (drift, restore, …).
public struct Step: Hashable, Sendable, Codable {
    public var action: Action
    public var reason: String?
    public init(_ action: Action, reason: String? = nil) { self.action = action; self.reason = reason }

    /// "+ ip link add …   # reason": a plan line.
    public var summary: String { "\(action.sign) \(action.command)" + (reason.map { "   # \($0)" } ?? "") }
}

/// An ordered list of steps; empty when the kernel already matches.
public struct Plan: Sendable, Codable {
    public var owner: Owner
    public var steps: [Step]
    /// What the plan leaves alone that a user may expect it to touch (a container
    /// removed from the manifest keeps its namespace until destroy, …).
    public var notes: [String] = []
    public var converged: Bool { steps.isEmpty }
    public init(owner: Owner, steps: [Step], notes: [String] = []) { self.owner = owner; self.steps = steps; self.notes = notes }
}
