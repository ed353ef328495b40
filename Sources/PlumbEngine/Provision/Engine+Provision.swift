import PlumbSystem
import PlumbTypes

/// The one provisioning path of the runtime front ends (OCI hook, CNI plugin): ensure
/// the host layer, apply the container layer, verify it, and undo all of it on any
/// failure — under the store lock from the first observation to the last write, so
/// two containers racing on a missing bridge never see half of each other's work.
extension Engine {
    public struct Provisioned {
        public var host: Plan?
        public var container: Plan
        public var report: VerifyReport?
    }

    public func provision(host: Layer?, container: Layer, binding: ContainerBinding? = nil,
                          verify: Bool = true) throws -> Provisioned {
        let lock = try store.lock()
        defer { withExtendedLifetime(lock) {} }
        Trace.mark("provision: store locked")
        return try provisionLocked(host: host, container: container, binding: binding, verify: verify, seen: nil)
    }

    /// `provision`, for layers known only once `layers` returns — a CNI ADD's addresses
    /// come from its IPAM plugin, a process of its own: the store is locked and the host
    /// (and the table and record of `hostOwner`, the host layer's owner) read first, and
    /// the container's `namespace` opened, so those overlap whatever `layers` waits for.
    /// The reads stay true while the lock is held; the layers then plan on them.
    /// `early`: the host layer as it will most likely be. When its owner has no record yet
    /// (the network's first attachment on this node) it is applied at once, also while
    /// `layers` waits. A host layer from `layers` that declares the same is then done; any
    /// other is applied on top of it. Any failure undoes both.
    public func provision(binding: ContainerBinding?, verify: Bool = true, hostOwner: Owner? = nil,
                          namespace: NamespaceRef? = nil, early: Layer? = nil,
                          layers: () throws -> (host: Layer?, container: Layer)) throws -> Provisioned {
        let lock = try store.lock()
        defer { withExtendedLifetime(lock) {} }
        Trace.mark("provision: store locked")
        // A thread enters the container's namespace to open a netlink socket there while
        // this one reads the host; the kernel keeps the handle for the layer's observation.
        if let namespace { kernel.prepareLinks(in: namespace) }
        var seen: ObservedState? = try Observer(kernel: kernel).base()
        if let hostOwner {
            let table = Marks(hostOwner).table
            tablesRead = [table: try kernel.firewall(table).observe()]
            // Decoded now, the layer's own read finds it in the store's memo: a process's
            // first record decode is ~1 ms of JSON and type metadata.
            _ = try store.load(hostOwner)
        }
        defer { tablesRead = [:] }
        Trace.mark("provision: host read")
        var made: [(Applied, Owner)] = []
        if let early, try store.load(early.owner) == nil {
            // Only a guess: one the kernel or the planner refuses (its address taken, say)
            // rolls itself back and is dropped; the host layer from `layers` says what is wrong.
            if let applied = try? applyLocked(early, host: seen) { made = [(applied, early.owner)] }
            tablesRead = [:]; seen = nil   // stale now: the host layer observes again
            Trace.mark("provision: early host layer \(made.isEmpty ? "refused" : "applied")")
        }
        let host: Layer?, container: Layer
        do { (host, container) = try layers() } catch { try undoing(made, after: error) }
        // The guess was right: its apply is the host layer's (planning it again would read
        // the host and the table once more, to find nothing to do).
        let hostMade = !made.isEmpty && host == early
        return try provisionLocked(host: host, container: container, binding: binding, verify: verify, seen: seen,
                                   made: made, hostMade: hostMade)
    }

    /// `made`: applies this provisioning already made (undone with the rest on failure);
    /// `hostMade`: the last of them is `host`'s.
    func provisionLocked(host: Layer?, container: Layer, binding: ContainerBinding?, verify: Bool,
                         seen: ObservedState?, made: [(Applied, Owner)] = [], hostMade: Bool = false) throws -> Provisioned {
        let hostApplied: Applied?
        do {
            if let binding { try claim(container.owner, for: binding) }
            hostApplied = hostMade ? made.last?.0 : try host.map { try applyLocked($0, host: seen) }
        } catch { try undoing(made, after: error) }
        tablesRead = [:]   // read before the host layer's apply: stale now
        var undoers: [(Applied, Owner)] = made
        if !hostMade, let hostApplied, let host { undoers.append((hostApplied, host.owner)) }
        do {
            // A host layer that changed nothing leaves its observation of the host true (the
            // lock is held): the container layer plans on it instead of reading the host again.
            // Without a host layer, the host read under this lock serves alike.
            let unchanged: ObservedState? = if let hostApplied { hostApplied.plan.converged ? hostApplied.observed : nil } else { seen }
            let applied = try applyLocked(container, binding: binding, host: unchanged)
            undoers.append((applied, container.owner))
            if let host { try addUser(container.owner.id, to: host.owner) }
            guard verify else { return Provisioned(host: hostApplied?.plan, container: applied.plan, report: nil) }
            Trace.mark("provision: applied, verify starts")
            let report = try self.verify(container)
            Trace.mark("provision: verified")
            guard report.ok else { throw VerificationFailed(owner: container.owner, report: report) }
            return Provisioned(host: hostApplied?.plan, container: applied.plan, report: report)
        } catch {
            if let host { try removeUser(container.owner.id, from: host.owner) }
            try undoing(undoers, after: error)
        }
    }

    /// Undoes the applies this provisioning made, newest first, then throws `error` — or,
    /// when an undo left something behind, an error naming both.
    func undoing(_ undoers: [(Applied, Owner)], after error: Error) throws -> Never {
        var failures: [UndoFailure] = []
        for (a, owner) in undoers.reversed() { failures += try undo(a, owner: owner) }
        if failures.isEmpty { throw error }
        throw ProvisionError(cause: error, undoFailures: failures)
    }

    /// Tears a container layer down (a poststop, a CNI DEL), and its host layer when
    /// `removeUnusedHost` and no other layer rests on it. `containerID`: only the
    /// container the layer was provisioned into may tear it down. `locked` runs once the
    /// store is locked, before anything is read (a CNI DEL starts its IPAM release there).
    @discardableResult
    public func unprovision(_ owner: Owner, containerID: String? = nil, removeUnusedHost: Bool = false,
                            host: Owner? = nil, locked: () throws -> Void = {}) throws -> Plan {
        let lock = try store.lock()
        defer { withExtendedLifetime(lock) {} }
        try locked()
        var steps: [Step] = [], notes: [String] = []
        if let record = try store.load(owner) {
            if let containerID, let bound = record.binding, bound.containerID != containerID {
                return Plan(owner: owner, steps: [], notes: ["\(owner) is provisioned into container \(bound.containerID), not \(containerID): left alone"])
            }
            let p = try destroyLocked(record)
            steps += p.steps; notes += p.notes
        }
        if removeUnusedHost, let host, let h = try store.load(host), h.users.isEmpty {
            let p = try destroyLocked(h)
            steps += p.steps; notes += p.notes
        }
        return Plan(owner: owner, steps: steps, notes: notes)
    }

    /// One container entry serves one container at a time: a layer bound to another
    /// container that still runs is refused; one whose container is gone is cleared.
    func claim(_ owner: Owner, for binding: ContainerBinding) throws {
        guard let record = try store.load(owner), let bound = record.binding, bound.containerID != binding.containerID else { return }
        let alive = try bound.process.map { try kernel.process($0.pid) == $0 } ?? false
        if alive {
            throw ClaimError(owner: owner, holder: bound)
        }
        _ = try destroyLocked(record)
    }

    func addUser(_ user: OwnerID, to owner: Owner) throws {
        guard var r = try store.load(owner) else { return }
        if !r.users.contains(user) { r.users.append(user); try store.save(r) }
    }

    func removeUser(_ user: OwnerID, from owner: Owner) throws {
        guard var r = try store.load(owner), r.users.contains(user) else { return }
        r.users.removeAll { $0 == user }
        try store.save(r)
    }
}

/// A container layer that failed verification (and was undone).
public struct VerificationFailed: Error, CustomStringConvertible {
    public var owner: Owner
    public var report: VerifyReport
    public var description: String {
        "\(owner) failed verification: " + report.failures.joined(separator: "; ") + "; everything it changed was undone"
    }
}

/// A provisioning that failed and whose undo failed too.
public struct ProvisionError: Error, CustomStringConvertible {
    public var cause: any Error
    public var undoFailures: [UndoFailure]
    public var description: String {
        "\(cause)\n  undo INCOMPLETE — these undo steps failed:\n" + undoFailures.map { "    \($0)" }.joined(separator: "\n")
    }
}

/// A container entry already provisioned into another, live container.
public struct ClaimError: Error, CustomStringConvertible {
    public var owner: Owner
    public var holder: ContainerBinding
    public var description: String {
        "\(owner) is already provisioned into container \(holder.containerID)\(holder.process.map { " (\($0))" } ?? ""), which still runs; one container entry serves one container at a time"
    }
}

extension VerifyReport {
    /// "eth0 probe: expected …, observed …" for each failed check.
    public var failures: [String] {
        (host.checks + containers.flatMap(\.checks) + nics.flatMap(\.checks)).filter { $0.status == .fail }.map {
            "\($0.interface.map { "\($0) " } ?? "")\($0.name): expected \($0.expected), observed \($0.observed)"
        }
    }
}
