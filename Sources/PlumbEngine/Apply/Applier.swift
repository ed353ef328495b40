import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// Executes steps in order through the kernel seam, journaling each step's undo
/// *before* it runs; if any step fails, the journal runs backwards and the kernel
/// ends as it was — including the parts of a step that had already taken effect.
public final class Applier {
    let kernel: any Kernel
    /// Test-only: make step k (1-based) fail, to prove rollback.
    let faultStep: Int?
    /// Namespaces this run created, by name: a rollback deletes exactly those.
    public private(set) var createdNamespaces: [String: NamespaceIdentity] = [:]
    /// The undo of every step run so far, in order: the journal.
    public private(set) var completed: [[Action]] = []

    public init(kernel: any Kernel, faultStep: Int? = nil) {
        self.kernel = kernel
        self.faultStep = faultStep
    }

    /// Runs `steps`; on failure, rolls back and throws an `ApplyError` naming the step,
    /// its typed cause and any undo that failed.
    public func apply(_ steps: [Step], progress: (Int, Step) -> Void = { _, _ in }) throws {
        for (i, step) in steps.enumerated() {
            progress(i + 1, step)
            completed.append(step.action.undo)
            do {
                if faultStep == i + 1 { throw InjectedFault(stepNumber: i + 1) }
                try execute(step.action)
            } catch {
                // A one-message action that failed changed nothing: its undo would
                // undo what was there before it.
                if step.action.isSingleChange { completed.removeLast() }
                let failures = rollback(completed)
                completed = []
                throw ApplyError(step: step, stepNumber: i + 1, cause: error, undoFailures: failures)
            }
        }
    }

    /// Runs the journal newest first; returns the undos that failed.
    func rollback(_ journal: [[Action]]) -> [UndoFailure] {
        var failures: [UndoFailure] = []
        for undo in journal.reversed() {
            for action in undo {
                do { try execute(action) } catch {
                    failures.append(UndoFailure(action: action, cause: error))
                }
            }
        }
        return failures
    }

    /// Executes one action. Every action tolerates finding its goal already reached
    /// where that is safe (a deletion of what is gone), and refuses to touch an object
    /// that no longer carries the proof its step names.
    public func execute(_ action: Action) throws {
        switch action {
        case .setSysctl(let s): try kernel.proc.setSysctl(s.key, s.value.to)
        case .createNamespace(let c): createdNamespaces[c.name] = try kernel.createNamespace(c)
        case .deleteNamespace(let d): try deleteNamespace(d)
        case .createBridge(let b): try createBridge(b)
        case .createVeth(let v): try createVeth(v)
        case .createMacvlan(let m): try createMacvlan(m)
        case .createIpvlan(let m): try createIpvlan(m)
        case .createVlan(let v): try createVlan(v)
        case .setLink(let u): try setLink(u)
        case .deleteLink(let d): try deleteLink(d)
        case .addAddress(let a): try addAddress(a)
        case .deleteAddress(let a): try deleteAddress(a)
        case .addRoute(let r): try addRoute(r)
        case .deleteRoute(let r): try deleteRoute(r)
        case .addRule(let r): try kernel.links(in: r.namespace).addRule(r.rule)
        case .deleteRule(let r): try deleteRule(r)
        case .replaceTable(let t): try replaceTable(t)
        case .deleteTable(let t): try kernel.firewall(t.table).delete()
        case .setRings(let c): try kernel.ethtool(in: .host).setRings(c.nic, rx: c.rx?.to, tx: c.tx?.to)
        case .setChannels(let c):
            try kernel.ethtool(in: .host).setChannels(c.nic, rx: c.rx?.to, tx: c.tx?.to, combined: c.combined?.to)
        case .setCoalesce(let c):
            try kernel.ethtool(in: .host).setCoalesce(c.nic, c.values.mapValues(\.to))
        case .setOffload(let c): try kernel.ethtool(in: .host).setFeatures(c.nic, c.features.mapValues(\.to))
        case .setTxQueueLen(let c): try setTxQueueLen(c)
        case .setRSS(let c): try kernel.ethtool(in: .host).setRSS(c.nic, indirection: c.indirection?.to, key: c.key?.to)
        case .setRxHash(let c): try kernel.ethtool(in: .host).setHashFields(c.nic, c.flow, c.fields.to)
        case .setQueueSteering(let c): try setQueueSteering(c)
        case .setIRQAffinity(let c): try kernel.proc.setAffinity(of: c.irq, to: c.cpus.to)
        case .setPFAdmin(let c): try setPFAdmin(c)
        case .setEswitchMode(let c): try kernel.eswitch.setEswitchMode(c.device, c.mode.to, pf: c.pf)
        case .setNumVFs(let w): try setNumVFs(w)
        case .writeModprobe(let w): try kernel.proc.write(w.file, w.text.to)
        case .setVF(let u): try setVF(u)
        case .moveVF(let m): try moveVF(m)
        case .returnVF(let r): try returnVF(r)
        case .bindVF(let b): try bindVF(b)
        }
    }

    /// `ip netns delete`, only while /run/netns/NAME is the namespace recorded (or the
    /// one this run created, for a rollback).
    func deleteNamespace(_ d: NamespaceDeletion) throws {
        let ref = NamespaceRef.named(d.name)
        guard let current = try kernel.identity(of: ref) else { return }   // gone already
        guard let expected = d.identity ?? createdNamespaces[d.name] else { return }   // this run made none
        guard current == expected else {
            throw OwnershipError(object: "\(ref)", reason: "it is not the namespace plumb created (\(expected), now \(current))")
        }
        try kernel.deleteNamespace(d.name)
        createdNamespaces[d.name] = nil
    }

    /// By ifindex, read now: the NIC is the host's, not Plumb's, so no mark to prove.
    func setTxQueueLen(_ c: TxQueueLenChange) throws {
        let links = try kernel.links(in: .host)
        guard let l = try links.link(name: c.nic) else {
            throw NetlinkError(operation: "RTM_NEWLINK", object: "\(c.nic) in \(links.label)", errno: .noDevice)
        }
        try links.setLink(SetLink(index: l.index, txqlen: c.length.to))
    }

    /// Only while this /sys shows the NIC of Plumb's namespace (sysfs shows the namespace it
    /// was mounted in): never another namespace's device of the same name.
    func setQueueSteering(_ c: QueueSteeringChange) throws {
        let links = try kernel.links(in: .host)
        let index = try links.link(name: c.nic)?.index
        guard let index, kernel.proc.sysfsIndex(of: c.nic) == index else {
            throw SystemError("write", Queues.path(c.nic, c.queue, c.queue.hasPrefix("rx-") ? "rps_cpus" : "xps_cpus"), .noDevice)
        }
        if let cpus = c.cpus { try kernel.proc.setQueueCPUs(c.nic, queue: c.queue, cpus.to) }
        if let flows = c.flowCount { try kernel.proc.setFlowCount(c.nic, queue: c.queue, flows.to) }
    }

    func replaceTable(_ t: TableReplacement) throws {
        let fw = try kernel.firewall(t.table)
        switch t.content {
        // Seen absent (`previous` nil): made, never a replace that could delete a table
        // someone made since.
        case .ruleset(let r, let comment) where t.previous == nil: try fw.create(with: r, comment: comment)
        case .ruleset(let r, let comment): try fw.replace(with: r, comment: comment)
        case .text(let text): try fw.replace(withText: text)
        }
    }
}

extension Action {
    /// True when the action is one kernel request (or one file write): if it fails,
    /// nothing changed. The others (create then mark, per-setting VF messages, move
    /// then rename) may fail half way, and their undo must run.
    var isSingleChange: Bool {
        switch self {
        case .setSysctl, .createNamespace, .deleteNamespace, .setLink, .deleteLink, .addAddress, .deleteAddress, .addRoute, .deleteRoute,
             .replaceTable, .deleteTable, .setRings, .setChannels, .setCoalesce, .setOffload, .setIRQAffinity, .setPFAdmin, .setEswitchMode,
             .setTxQueueLen, .writeModprobe, .setRSS, .setRxHash, .addRule, .deleteRule:
            return true
        case .createBridge, .createVeth, .createMacvlan, .createIpvlan, .createVlan, .setNumVFs, .setVF, .moveVF, .returnVF, .bindVF, .setQueueSteering:
            return false
        }
    }
}
