import PlumbManifest
import PlumbNetlink
import PlumbSystem
import Glibc

/// The one engine behind every front end: observe → plan → apply (journaled,
/// rolled back on failure) → verify, and destroy by ownership.
public final class Engine {
    public let manifest: Manifest
    public let store: StateStore
    let session: KernelSession
    /// `--allow-disruptive`: VF count changes that destroy live VFs are allowed.
    public var allowDisruptive = false

    public init(manifest: Manifest, store: StateStore = StateStore()) throws {
        self.manifest = manifest
        self.store = store
        session = try KernelSession()
    }

    /// What apply would do now. Read-only: takes no lock, changes nothing.
    public func plan() throws -> Plan {
        let (observed, record) = try observe()
        return try Planner(manifest: manifest, observed: observed, record: record, allowDisruptive: allowDisruptive).applyPlan()
    }

    /// The kernel state the planner sees, and this manifest's ownership record.
    public func observe() throws -> (ObservedState, OwnershipRecord?) {
        let record = try store.load(manifest.name)
        return (try Observer(session: session).observe(manifest, record: record), record)
    }

    /// Applies the plan. The record is written before the first change (so a crash
    /// leaves Plumb's objects findable) and restored if the apply rolls back.
    @discardableResult
    public func apply(faultStep: Int? = nil, progress: (Int, Int, Step) -> Void = { _, _, _ in }) throws -> Plan {
        let lock = try store.lock()
        defer { withExtendedLifetime(lock) {} }
        let before = try store.load(manifest.name)
        let observed = try Observer(session: session).observe(manifest, record: before)
        let planner = Planner(manifest: manifest, observed: observed, record: before, allowDisruptive: allowDisruptive)
        let plan = try planner.applyPlan()
        var base = before ?? OwnershipRecord(manifest: manifest.name)
        let required = Dictionary(planner.desiredSysctls.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        if plan.converged {
            if base.requiredSysctls != required { base.requiredSysctls = required; try store.save(base) }
            return plan
        }
        base.requiredSysctls = required
        try store.save(base.adding(plan.steps))
        do {
            try Applier(session: session, faultStep: faultStep).apply(plan.steps) { progress($0, plan.steps.count, $1) }
        } catch let e as ApplyError where !e.undoFailures.isEmpty {
            // Rollback incomplete: keep the record of this apply, so what was left
            // behind stays Plumb's and the next apply or destroy can clean it up.
            throw e
        } catch {
            // Rolled back: the record is exactly what it was before this apply.
            if let before { try? store.save(before) } else { try? store.remove(manifest.name) }
            throw error
        }
        return plan
    }

    public func verify() throws -> VerifyReport {
        try Verifier(session: session, manifest: manifest).verify()
    }

    /// Removes what this manifest's record owns and restores sysctls. Waits (bounded)
    /// until the kernel has really removed the veths of deleted namespaces, so
    /// `ip link` right after shows them gone.
    @discardableResult
    public func destroy(progress: (Int, Int, Step) -> Void = { _, _, _ in }) throws -> Plan {
        let lock = try store.lock()
        defer { withExtendedLifetime(lock) {} }
        guard var record = try store.load(manifest.name) else { return Plan(manifest: manifest.name, steps: []) }
        let observed = try Observer(session: session).observe(manifest, record: record, forDestroy: true)
        let others = store.manifests().filter { $0 != manifest.name }.compactMap { try? store.load($0) }
        let shared = Set(others.flatMap { Array($0.sysctls.keys) + Array($0.requiredSysctls.keys) })
        try handOver(record.sysctls.filter { shared.contains($0.key) }, to: others)
        let plan = Planner(manifest: manifest, observed: observed, record: record).destroyPlan(sharedSysctls: shared)
        let applier = Applier(session: session)
        for (i, step) in plan.steps.enumerated() {
            progress(i + 1, plan.steps.count, step)
            do { _ = try applier.execute(step) } catch let e as NetlinkError where e.errno == .noDevice && step.action == .deleteLink {
                // Gone already: a veth leaves with its peer's namespace, which the
                // kernel may remove between our look and our delete (a container exiting).
            } catch {
                try? store.save(record)
                throw ApplyError(step: step, stepNumber: i + 1, cause: "\(error)", undoFailures: [])
            }
            record = record.adding([step])
        }
        try waitForVethsGone(record: try store.load(manifest.name) ?? record)
        for name in record.namespaces { NamedNamespaces.removeStalePlaceholder(name) }
        try store.remove(manifest.name)
        return plan
    }

    /// A shared sysctl's original value passes to another manifest that needs it and
    /// has none recorded, so the last manifest out restores it.
    func handOver(_ originals: [String: String], to others: [OwnershipRecord]) throws {
        for (key, value) in originals {
            guard var heir = others.first(where: { $0.requiredSysctls[key] != nil && $0.sysctls[key] == nil }) else { continue }
            heir.sysctls[key] = value
            try store.save(heir)
        }
    }

    /// Polls until no host end of a recorded veth remains (netns cleanup is asynchronous).
    func waitForVethsGone(record: OwnershipRecord, timeoutMs: Int = 10_000) throws {
        let alias = ownershipAlias(manifest.name)
        let names = Set(record.links.filter { $0.namespace == hostNamespace && $0.kind == "veth" }.map(\.name))
        guard !names.isEmpty else { return }
        let deadline = monotonicMicros() + timeoutMs * 1000
        while monotonicMicros() < deadline {
            let left = try session.host.links().filter { names.contains($0.name) && $0.alias == alias }
            if left.isEmpty { return }
            usleep(2000)
        }
    }
}
