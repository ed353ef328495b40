import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// Removes what a record lists and the kernel still proves to be the owner's, and
/// puts back every original value it kept. Pure, like the apply planner.
///
/// Shared things are reference-counted across records: a namespace another owner
/// still uses stays (that owner inherits it), a sysctl another owner relies on keeps
/// its value (that owner inherits the original, so the last one out restores it).
public struct DestroyPlanner {
    public let record: Record
    public let observed: ObservedState
    /// Every other owner's record.
    public let others: [Record]

    let marks: Marks
    let index: PlanIndex
    /// Which other owners use each namespace (with the identity they recorded), in `others` order.
    let users: [NamespaceRef: [(owner: Record, identity: NamespaceIdentity?)]]

    public init(record: Record, observed: ObservedState, others: [Record]) {
        self.record = record; self.observed = observed; self.others = others
        marks = Marks(record.owner)
        index = PlanIndex(observed: observed, record: record)
        var users: [NamespaceRef: [(owner: Record, identity: NamespaceIdentity?)]] = [:]
        for other in others {
            for entry in other.namespaces { users[entry.ref, default: []].append((other, entry.identity)) }
        }
        self.users = users
    }

    /// What passes to another owner when this one goes.
    public struct Handover: Sendable, Equatable {
        public enum What: Sendable, Equatable {
            /// The heir now counts as the namespace's creator (it goes with the heir).
            case namespace(NamespaceRef)
            /// The heir keeps the original value, to restore when it goes.
            case sysctl(SysctlOriginal)
            /// The heir takes the PF down when it goes.
            case pfAdmin(PFAdminOriginal)
            /// The heir puts the eswitch mode back when it goes.
            case eswitch(EswitchOriginal)
            /// The heir, now using the VF, puts its PF-side settings back when it goes.
            case vf(VFOriginal)
            /// The heir moved a VF this owner left marked in the host (its namespace died
            /// first): the VF's host name and settings from before this owner's move.
            case movedVF(MovedVF)
        }
        public var heir: OwnerID
        public var what: What
    }

    public struct Result: Sendable {
        public var plan: Plan
        public var handovers: [Handover]
    }

    public func plan() -> Result {
        var steps: [Step] = [], notes: [String] = [], handovers: [Handover] = []
        steps += tableSteps(&notes)
        let vfSteps = vfReturnSteps(&notes, &handovers)
        let (nsSteps, doomed) = namespaceSteps(&notes, &handovers)
        // Links made on others go first: a VLAN on a VF is deleted before the VF goes home.
        steps += childLinkSteps(doomed: doomed, &notes)
        steps += vfSteps
        steps += vfDriverRestoreSteps(&notes)
        steps += ruleSteps(doomed: doomed, &notes)
        steps += nsSteps
        steps += linkSteps(doomed: doomed, &notes)
        steps += sysctlSteps(&handovers)
        steps += tuningRestoreSteps(&notes) + irqRestoreSteps(&notes) + sriovRestoreSteps(&notes, &handovers)
        steps += eswitchRestoreSteps(&notes, &handovers)
        steps += pfAdminRestoreSteps(&notes, &handovers)
        return Result(plan: Plan(owner: record.owner, steps: steps, notes: notes), handovers: handovers)
    }

    /// The rules the record lists, each removed while the kernel still shows it with Plumb's
    /// protocol (`proto 126`: the kernel keeps no alias on a rule, that is its mark) — except
    /// in a namespace this destroy deletes, whose rules go with it.
    func ruleSteps(doomed: Set<NamespaceRef>, _ notes: inout [String]) -> [Step] {
        record.ruleEntries.compactMap { e in
            guard !doomed.contains(e.namespace) else { return nil }
            let rules = e.namespace == .host ? observed.host.rules : index.namespaces[e.namespace]?.rules ?? []
            guard let seen = rules.first(where: { $0.matches(e.rule) }) else { return nil }   // already gone
            guard seen.proto == RuleInfo.plumbProtocol else {
                notes.append("rule \"\(seen.text)\" in \(e.namespace) left alone: it no longer carries plumb's protocol (proto \(seen.proto))")
                return nil
            }
            return Step(.deleteRule(RuleChange(namespace: e.namespace, rule: e.rule)))
        }
    }

    func tableSteps(_ notes: inout [String]) -> [Step] {
        guard let t = record.table, let seen = observed.firewall else { return [] }
        guard seen.comment == marks.tableComment else {
            notes.append("nftables table \(t) left alone: it no longer carries plumb's mark")
            return []
        }
        return [Step(.deleteTable(TableDeletion(table: t, previous: seen.text)))]
    }

    /// VFs go home first, under their old names, before their namespace goes (the kernel
    /// would otherwise return them under whatever name is free).
    func vfReturnSteps(_ notes: inout [String], _ handovers: inout [Handover]) -> [Step] {
        record.movedVFs.compactMap { v in
            guard let link = index.namespaces[v.link.namespace]?.snapshot?.link(named: v.link.name) else {
                return strandedVFStep(v, &notes, &handovers)
            }
            guard link.alias == marks.alias else {
                notes.append("\(v.link.name) in \(v.link.namespace) left where it is: it no longer carries plumb's mark")
                return nil
            }
            return Step(.returnVF(VFReturn(pf: v.pf, vf: v.vf, from: LinkRef(v.link.name, in: v.link.namespace, index: link.index),
                                           hostName: v.hostName, alias: marks.alias, restore: v.previous)))
        }
    }

    /// The namespaces this owner created: deleted while they are provably the ones it
    /// created and no other owner uses them; handed over to a user otherwise.
    func namespaceSteps(_ notes: inout [String], _ handovers: inout [Handover]) -> ([Step], Set<NamespaceRef>) {
        var steps: [Step] = [], doomed: Set<NamespaceRef> = []
        for entry in record.namespaces where entry.created {
            guard case .named(let name) = entry.ref, let seen = index.namespaces[entry.ref] else { continue }
            if let id = entry.identity, id != seen.identity {
                notes.append("\(entry.ref) left alone: it is not the namespace plumb created (\(id), now \(seen.identity))")
                continue
            }
            // A namespace Plumb created carries the owner's mark on lo since before it was
            // visible: a record naming any other namespace deletes nothing.
            if seen.loopbackAlias != marks.namespaceAlias {
                notes.append("\(entry.ref) left alone: its lo does not carry plumb's mark of \(record.owner)")
                continue
            }
            // Another owner's use comes first: its links in the namespace are not this
            // owner's, yet not foreign either; the namespace passes to it.
            if let heir = heir(of: entry.ref, seen.identity) {
                handovers.append(Handover(heir: heir.id, what: .namespace(entry.ref)))
                steps.append(Step(.setLink(LinkUpdate(link: LinkRef("lo", in: entry.ref, index: 1),
                                                      proof: .namespaceLoopback(alias: marks.namespaceAlias),
                                                      to: LinkSettings(alias: Marks(heir.owner).namespaceAlias),
                                                      from: LinkSettings(alias: marks.namespaceAlias))),
                                  reason: "\(heir.owner) still uses it"))
                continue
            }
            let foreign = (seen.snapshot?.links ?? []).filter { l in
                l.index != 1 && !marks.marks(l.marks, in: entry.ref)
                    && !record.movedVFs.contains { $0.link.name == l.name && $0.link.namespace == entry.ref }
            }
            if !foreign.isEmpty {
                notes.append("\(entry.ref) left in place: it holds links plumb did not create (\(foreign.map(\.name).joined(separator: ", ")))")
                continue
            }
            doomed.insert(entry.ref)
            steps.append(Step(.deleteNamespace(NamespaceDeletion(name: name, identity: seen.identity))))
        }
        return (steps, doomed)
    }

    /// The first other owner that uses this very namespace (an entry without identity
    /// predates identities and counts as a use).
    func heir(of ref: NamespaceRef, _ id: NamespaceIdentity) -> Record? {
        users[ref]?.first { $0.identity == nil || $0.identity == id }?.owner
    }

    /// Host ends of veths (whose peers are not going with a namespace) and bridges, each
    /// only while it still carries this owner's mark.
    func linkSteps(doomed: Set<NamespaceRef>, _ notes: inout [String]) -> [Step] {
        [OwnedLinkKind.veth, .bridge].flatMap { kind in
            record.links.filter { $0.kind == kind && $0.link.namespace == .host }.compactMap { l -> Step? in
                if let peer = l.peer, doomed.contains(peer.namespace) { return nil }
                guard let seen = index.hostLinks[l.link.name] else { return nil }
                return deletion(l, seen: seen, in: .host, &notes)
            }
        }
    }

    /// A macvlan, ipvlan or VLAN goes with its namespace when that is deleted; otherwise on
    /// its own, while it is still of its kind with this owner's mark on the parent it was
    /// made on. VLANs first: one may sit on a macvlan or ipvlan of the same container.
    func childLinkSteps(doomed: Set<NamespaceRef>, _ notes: inout [String]) -> [Step] {
        let children = record.links.filter { $0.kind.hasParent && !doomed.contains($0.link.namespace) }
        return (children.filter { $0.kind == .vlan } + children.filter { $0.kind != .vlan }).compactMap { l -> Step? in
            guard let seen = index.namespaces[l.link.namespace]?.snapshot?.link(named: l.link.name) else { return nil }
            if let parent = l.parent?.index, seen.peerIndex != parent {
                notes.append("\(l.link.name) in \(l.link.namespace) left alone: it is not on the parent plumb made it on (\(l.parent!.name), ifindex \(parent))")
                return nil
            }
            return deletion(l, seen: seen, in: l.link.namespace, &notes)
        }
    }

    func deletion(_ l: LinkEntry, seen: LinkInfo, in ns: NamespaceRef, _ notes: inout [String]) -> Step? {
        guard marks.marks(seen.marks, in: ns), seen.kind == l.kind.kernelKind else {
            notes.append("\(l.link.name)\(ns == .host ? "" : " in \(ns)") left alone: it no longer carries plumb's mark (alias \(seen.alias.map { "\"\($0)\"" } ?? "none"))")
            return nil
        }
        return Step(.deleteLink(LinkDeletion(link: LinkRef(l.link.name, in: ns, index: seen.index),
                                             proof: .owner(alias: seen.alias ?? "", mac: seen.mac))))
    }

    /// Each changed sysctl back to its original, unless another owner relies on it:
    /// then that owner inherits the original.
    func sysctlSteps(_ handovers: inout [Handover]) -> [Step] {
        record.sysctls.sorted { $0.key < $1.key }.compactMap { original in
            let reliant = others.filter { o in o.requiredSysctls.contains { $0.key == original.key } || o.sysctls.contains { $0.key == original.key } }
            if !reliant.isEmpty {
                if let heir = reliant.first(where: { o in !o.sysctls.contains { $0.key == original.key } }),
                   !reliant.contains(where: { o in o.sysctls.contains { $0.key == original.key } }) {
                    handovers.append(Handover(heir: heir.id, what: .sysctl(original)))
                }
                return nil
            }
            guard let current = observed.sysctls[original.key], let change = restore(original.value, current) else { return nil }
            return Step(.setSysctl(SysctlWrite(key: original.key, value: change)), reason: "restore")
        }
    }
}
