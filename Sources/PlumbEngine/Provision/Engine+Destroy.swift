import PlumbNetlink
import PlumbSystem
import PlumbTypes

extension Engine {
    /// Removes what `owner`'s record lists and the kernel still proves to be its own,
    /// restores what it changed — after the layers resting on it (its users). Waits
    /// (bounded) until the kernel has really removed the veths of deleted namespaces.
    @discardableResult
    public func destroy(_ owner: Owner, progress: (Int, Int, Step) -> Void = { _, _, _ in }) throws -> Plan {
        let lock = try store.lock()
        defer { withExtendedLifetime(lock) {} }
        guard let record = try store.load(owner) else { return Plan(owner: owner, steps: []) }
        return try destroyLocked(record, progress: progress)
    }

    /// Destroys a record found by id (its owner need not be known: `plumb destroy --id`).
    @discardableResult
    public func destroy(id: OwnerID, progress: (Int, Int, Step) -> Void = { _, _, _ in }) throws -> Plan? {
        let lock = try store.lock()
        defer { withExtendedLifetime(lock) {} }
        guard let record = try store.load(id: id) else { return nil }
        return try destroyLocked(record, progress: progress)
    }

    func destroyLocked(_ start: Record, progress: (Int, Int, Step) -> Void = { _, _, _ in }) throws -> Plan {
        var steps: [Step] = [], notes: [String] = []
        for user in start.users.sorted() {
            guard let r = try store.load(id: user) else { continue }
            let p = try destroyLocked(r, progress: progress)
            steps += p.steps; notes += p.notes
        }
        var record = try store.load(id: start.id) ?? start
        record.users = []
        let observed = try Observer(kernel: kernel).observeForDestroy(record)
        let sharesHostThings = record.namespaces.contains(where: \.created) || !record.sysctls.isEmpty || !record.raisedPFs.isEmpty
            || !record.eswitches.isEmpty
            || !record.vfs.isEmpty || !record.movedVFs.isEmpty   // a VF another owner uses now is left to it
        let others = sharesHostThings ? try store.records().filter { $0.id != record.id } : []
        let result = DestroyPlanner(record: record, observed: observed, others: others).plan()
        Trace.mark("destroy \(record.id): observed and planned, \(result.plan.steps.count) steps")
        try refuseOrphaningMacvlans(result.plan, of: record)
        let applier = Applier(kernel: kernel)
        for (i, step) in result.plan.steps.enumerated() {
            progress(i + 1, result.plan.steps.count, step)
            do { try applier.execute(step.action) } catch {
                // What was removed so far leaves the record; the rest stays for the next destroy.
                try store.save(record.adding(result.plan.steps.prefix(i).map(\.action)))
                throw DestroyError(step: step, stepNumber: i + 1, cause: error)
            }
        }
        Trace.mark("destroy \(record.id): steps executed")
        try handOver(result.handovers, observed: observed)
        try waitForVethsGone(record)
        Trace.mark("destroy \(record.id): host ends gone")
        for entry in record.namespaces where entry.created {
            if case .named(let n) = entry.ref { kernel.removeNamespacePlaceholder(n) }
        }
        try store.remove(record.id)
        if let parent = record.parent, var p = try store.load(id: parent) {
            p.users.removeAll { $0 == record.id }
            try store.save(p)
        }
        return Plan(owner: record.owner, steps: steps + result.plan.steps, notes: notes + result.plan.notes)
    }

    /// Another owner's macvlan, ipvlan or VLAN on a bridge this destroy deletes would go with it, behind
    /// that owner's back: refused before the first step. Only bridges: a veth host end as a
    /// parent is not a setup worth reading every record for on each CNI DEL.
    func refuseOrphaningMacvlans(_ plan: Plan, of record: Record) throws {
        let bridges = Set(record.links.filter { $0.kind == .bridge }.map(\.link.name))
        let deleted = Set(plan.steps.compactMap { s -> String? in
            guard case .deleteLink(let d) = s.action, d.link.namespace == .host, bridges.contains(d.link.name) else { return nil }
            return d.link.name
        })
        guard !deleted.isEmpty else { return }
        let children = try store.records().filter { $0.id != record.id }.flatMap { other in
            other.links.filter { $0.kind.hasParent && $0.parent?.namespace == .host && deleted.contains($0.parent?.name ?? "") }
                .map { (other, $0) }
        }
        guard let first = children.first, let parent = first.1.parent?.name else { return }
        throw ParentInUseError(parent: parent, children: children.filter { $0.1.parent?.name == parent }.map { "\($0.1.kind.rawValue) \($0.1.link) of \($0.0.owner)" })
    }

    /// What passes to the owners that still need it: each heir's record is read and
    /// written once, however many namespaces and sysctls it inherits.
    func handOver(_ handovers: [DestroyPlanner.Handover], observed: ObservedState) throws {
        let identities = Dictionary(observed.namespaces.map { ($0.ref, $0.identity) }, uniquingKeysWith: { a, _ in a })
        let byHeir = Dictionary(grouping: handovers, by: \.heir)
        for heirID in byHeir.keys.sorted() {
            guard var heir = try store.load(id: heirID) else { continue }
            let at = Dictionary(heir.namespaces.enumerated().map { ($1.ref, $0) }, uniquingKeysWith: { a, _ in a })
            for h in byHeir[heirID] ?? [] {
                switch h.what {
                case .namespace(let ref):
                    guard let i = at[ref] else { continue }
                    heir.namespaces[i].created = true
                    heir.namespaces[i].identity = identities[ref] ?? heir.namespaces[i].identity
                case .sysctl(let original):
                    if !heir.sysctls.contains(where: { $0.key == original.key }) { heir.sysctls.append(original) }
                case .pfAdmin(let original):
                    if !heir.raisedPFs.contains(where: { $0.pf == original.pf }) { heir.raisedPFs.append(original) }
                case .eswitch(let original):
                    if !heir.eswitches.contains(where: { $0.device == original.device }) { heir.eswitches.append(original) }
                case .movedVF(let earlier):
                    for i in heir.movedVFs.indices where heir.movedVFs[i].pf == earlier.pf && heir.movedVFs[i].vf == earlier.vf {
                        heir.movedVFs[i].hostName = earlier.hostName
                        heir.movedVFs[i].previous = earlier.previous
                    }
                case .vf(let original):
                    if let i = heir.vfs.firstIndex(where: { $0.pf == original.pf && $0.vf == original.vf }) {
                        heir.vfs[i] = heir.vfs[i].inheriting(original)
                    } else {
                        heir.vfs.append(original)
                    }
                }
            }
            try store.save(heir)
        }
    }

    /// Polls until no host end of the record's veths remains (netns cleanup is asynchronous).
    func waitForVethsGone(_ record: Record, timeout: Duration = .seconds(10)) throws {
        let marks = Marks(record.owner)
        let names = Set(record.links.filter { $0.kind == .veth && $0.link.namespace == .host }.map(\.link.name))
        guard !names.isEmpty else { return }
        let host = try kernel.links(in: .host)
        _ = try Poll.until(timeout: timeout, interval: .milliseconds(25)) { () -> Bool? in
            try host.links().contains { names.contains($0.name) && marks.marks($0.marks) } ? nil : true
        }
    }
}
