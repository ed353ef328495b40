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
    public func provision(binding: ContainerBinding?, verify: Bool = true, hostOwner: Owner? = nil,
                          namespace: NamespaceRef? = nil,
                          layers: () throws -> (host: Layer?, container: Layer)) throws -> Provisioned {
        let lock = try store.lock()
        defer { withExtendedLifetime(lock) {} }
        Trace.mark("provision: store locked")
        let seen = try Observer(kernel: kernel).base()
        if let hostOwner {
            let table = Marks(hostOwner).table
            tablesRead = [table: try kernel.firewall(table).observe()]
            // Decoded now, the layer's own read finds it in the store's memo: a process's
            // first record decode is ~1 ms of JSON and type metadata.
            _ = try store.load(hostOwner)
        }
        // A thread enters the namespace to open a netlink socket there; the kernel keeps
        // the handle for the layer's observation. Any failure is the observation's to say.
        if let namespace { _ = try? kernel.links(in: namespace) }
        defer { tablesRead = [:] }
        Trace.mark("provision: host read")
        let (host, container) = try layers()
        return try provisionLocked(host: host, container: container, binding: binding, verify: verify, seen: seen)
    }

    func provisionLocked(host: Layer?, container: Layer, binding: ContainerBinding?, verify: Bool,
                         seen: ObservedState?) throws -> Provisioned {
        if let binding { try claim(container.owner, for: binding) }
        let hostApplied = try host.map { try applyLocked($0, host: seen) }
        tablesRead = [:]   // read before the host layer's apply: stale now
        var undoers: [(Applied, Owner)] = hostApplied.map { [($0, host!.owner)] } ?? []
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
            var failures: [UndoFailure] = []
            if let host { try removeUser(container.owner.id, from: host.owner) }
            for (a, owner) in undoers.reversed() { failures += try undo(a, owner: owner) }
            if failures.isEmpty { throw error }
            throw ProvisionError(cause: error, undoFailures: failures)
        }
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
