import PlumbFirewall
import PlumbManifest
import PlumbSystem
import PlumbTypes

/// The one engine behind every front end: observe → plan → apply (journaled, rolled
/// back on failure) → verify, and destroy by proof. Every change to the kernel
/// happens under the record store's lock, from the first observation to the last
/// record write.
public final class Engine {
    public let kernel: any Kernel
    public let store: RecordStore
    /// `--allow-disruptive`: VF count changes that destroy live VFs are allowed.
    public var allowDisruptive = false
    /// Test builds only: the step of each apply that fails on purpose (PLUMB_FAULT_STEP).
    public var faultStep: Int?
    /// Whether a verify waits for the kernel to remove its outside network (a CNI ADD
    /// does not: see `OutsideRemoval`).
    public var outsideRemoval = OutsideRemoval.awaited
    /// Tables read under the store lock a provisioning holds (see `provision(binding:…)`).
    var tablesRead: [TableName: ObservedFirewall?] = [:]

    public init(kernel: any Kernel, store: RecordStore = RecordStore()) {
        self.kernel = kernel
        self.store = store
    }

    /// The real kernel.
    public convenience init(store: RecordStore = RecordStore()) throws {
        self.init(kernel: try LinuxKernel(), store: store)
    }

    /// The kernel state the planner sees for `layer`, and the owner's record. Read-only.
    public func observe(_ layer: Layer) throws -> (ObservedState, Record?) { try observe(layer, host: nil) }

    func observe(_ layer: Layer, host: ObservedState?) throws -> (ObservedState, Record?) {
        let record = try store.load(layer.owner)
        return (try Observer(kernel: kernel, tablesRead: tablesRead).observe(layer, record: record, host: host), record)
    }

    /// What apply would do now. Read-only: takes no lock, changes nothing.
    public func plan(_ layer: Layer) throws -> Plan { try planned(layer).plan }

    /// The plan for `layer`, with what it was made from: what `plan` shows, `apply` does.
    func planned(_ layer: Layer, host: ObservedState? = nil) throws -> (plan: Plan, observed: ObservedState, record: Record?) {
        let (observed, record) = try observe(layer, host: host)
        let layer = layer.keepingWhatUsersRestOn(observed: observed, record: record)
        let plan = try Planner(layer: layer, observed: observed, record: record, allowDisruptive: allowDisruptive,
                               portsElsewhere: try portClaims(layer)).applyPlan()
        return (plan, observed, record)
    }

    /// Makes the kernel match `layer`. The record is written before the first change
    /// (a crash leaves the objects findable) and restored if the apply rolls back.
    @discardableResult
    public func apply(_ layer: Layer, progress: (Int, Int, Step) -> Void = { _, _, _ in }) throws -> Plan {
        let lock = try store.lock()
        defer { withExtendedLifetime(lock) {} }
        return try applyLocked(layer, progress: progress).plan
    }

    /// One apply, done: its plan, the record before it, and the journal that undoes it.
    struct Applied {
        var plan: Plan
        var before: Record?
        var applier: Applier
        /// What the plan was made from (the kernel before the apply).
        var observed: ObservedState
    }

    /// `host`: see `Observer.observe`.
    func applyLocked(_ layer: Layer, binding: ContainerBinding? = nil, host: ObservedState? = nil,
                     progress: (Int, Int, Step) -> Void = { _, _, _ in }) throws -> Applied {
        let (plan, observed, before) = try planned(layer, host: host)
        Trace.mark("apply \(layer.owner.id): observed and planned, \(plan.steps.count) steps")
        let planned = plannedRecord(layer, observed: observed, before: before, binding: binding)
            .adding(plan.steps.map(\.action)).identifying(in: observed.host)
        let applier = Applier(kernel: kernel, faultStep: faultStep)
        if planned != before { try store.save(planned) }
        if plan.converged { return Applied(plan: plan, before: before, applier: applier, observed: observed) }
        do {
            try applier.apply(plan.steps) { progress($0, plan.steps.count, $1) }
        } catch let e as ApplyError where e.undoFailures.isEmpty {
            try restore(before, of: layer.owner)
            throw e
        }
        // Incomplete rollbacks keep the planned record: what was left stays Plumb's,
        // so the next apply or destroy can clean it up.
        Trace.mark("apply \(layer.owner.id): steps executed")
        try store.save(filled(planned, created: applier.createdNamespaces))
        Trace.mark("apply \(layer.owner.id): record saved")
        return Applied(plan: plan, before: before, applier: applier, observed: observed)
    }

    /// Undoes a whole apply this call made (a later part of the same provisioning failed).
    func undo(_ a: Applied, owner: Owner) throws -> [UndoFailure] {
        let failures = a.applier.undoAll()
        if failures.isEmpty { try restore(a.before, of: owner) }
        return failures
    }

    /// The record as it was before (or none).
    func restore(_ before: Record?, of owner: Owner) throws {
        if let before { try store.save(before) } else { try store.remove(owner.id) }
    }

    /// The record before the plan's own entries: source, parent, the sysctls the layer
    /// relies on, and every container namespace it uses, with its identity.
    func plannedRecord(_ layer: Layer, observed: ObservedState, before: Record?, binding: ContainerBinding?) -> Record {
        var r = before ?? Record(owner: layer.owner)
        r.parent = layer.parent?.id
        if let binding { r.binding = binding }
        r.requiredSysctls = NATDesign.requiredSysctls(layer).map { SysctlRequirement(key: $0.key, value: $0.value) }
        let ports = NATDesign.publishedPorts(layer)
        r.ports = ports.isEmpty && r.ports == nil ? nil : ports
        let seenByRef = Dictionary(observed.namespaces.map { ($0.ref, $0) }, uniquingKeysWith: { a, _ in a })
        var at = Dictionary(r.namespaces.enumerated().map { ($1.ref, $0) }, uniquingKeysWith: { a, _ in a })
        for ns in layer.manifest.containers.compactMap(\.netns) {
            guard let seen = seenByRef[ns] else { continue }
            if let i = at[ns] {
                r.namespaces[i].identity = r.namespaces[i].identity ?? seen.identity
                r.namespaces[i].process = r.namespaces[i].process ?? seen.process
            } else {
                at[ns] = r.namespaces.count
                r.namespaces.append(NamespaceEntry(ref: ns, identity: seen.identity, process: seen.process, created: false))
            }
        }
        return r
    }

    /// The identities of the namespaces the apply created, now that they exist.
    func filled(_ r: Record, created: [String: NamespaceIdentity]) -> Record {
        var r = r
        for (i, e) in r.namespaces.enumerated() where e.identity == nil {
            if case .named(let n) = e.ref, let id = created[n] { r.namespaces[i].identity = id }
        }
        return r
    }

    /// Checks the layer's receive paths against the kernel (and the namespaces against the record).
    public func verify(_ layer: Layer) throws -> VerifyReport {
        let lock = try store.verifyLock(layer.owner.id)
        defer { withExtendedLifetime(lock) {} }
        return try Verifier(kernel: kernel, layer: layer, record: try store.load(layer.owner), portsElsewhere: try portClaims(layer),
                            outsideRemoval: outsideRemoval).verify()
    }

    /// The ports other owners' records publish, for a layer that publishes any (the planner
    /// is pure: it is handed them). Reading every record costs nothing for layers without ports.
    public func portClaims(_ layer: Layer) throws -> [PortClaim] {
        guard layer.manifest.containers.contains(where: { !$0.ports.isEmpty }) else { return [] }
        return try store.portClaims(excluding: layer.owner.id)
    }
}

extension Applier {
    /// The journal of a finished apply, undone newest first.
    func undoAll() -> [UndoFailure] { rollback(completed) }
}
