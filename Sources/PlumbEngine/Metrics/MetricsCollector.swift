import PlumbManifest
import PlumbNetlink
import PlumbSystem
import PlumbTypes

extension Engine {
    /// Reads everything `plumb metrics` exports for `manifests` into a snapshot: for each,
    /// its verify report (`reports[name]` when the caller has one, else a verify run now),
    /// the steps its plan would take, its container interfaces' counters and its PFs' VF
    /// counters, its watcher counters; and softnet per CPU. A read that fails is a
    /// problem noted in the snapshot, never the end of the scrape: the other series still
    /// tell the truth. Changes nothing (verify's probes aside) and takes no lock.
    public func metricsSnapshot(of manifests: [(manifest: Manifest, identity: ManifestIdentity)],
                                counters: WatchCounters, reports: [String: VerifyReport]?) -> MetricsSnapshot {
        var snapshot = MetricsSnapshot()
        for (m, identity) in manifests {
            var problems: [String] = []
            var mm = ManifestMetrics(name: m.name, watch: counters[manifest: m.name])
            mm.verify = note(&problems, "verify") { try reports?[m.name] ?? verifyManifest(m, identity: identity) }
            mm.planSteps = note(&problems, "plan") { try plan(.manifest(ownContainers(m), identity: identity)).steps.count }
            mm.interfaces = interfaceCounters(m, identity: identity, problems: &problems)
            mm.vfs = vfCounters(m, problems: &problems)
            snapshot.manifests.append(mm)
            snapshot.problems += problems.map { "manifest \(m.name): \($0)" }
        }
        if let softnet = kernel.proc.softnet() {
            snapshot.softnet = softnet.cpus
        } else {
            snapshot.problems.append("\(SoftnetStat.path) is unreadable")
        }
        return snapshot
    }

    /// The containers the CLI provisions; the OCI hook's entries (no netns) are its own layers.
    func ownContainers(_ m: Manifest) -> Manifest {
        var own = m
        own.containers = m.containers.filter { $0.netns != nil }
        return own
    }

    /// Every declared interface of every container that has a namespace now: one link
    /// dump per namespace, released after (thousands of containers, bounded descriptors).
    func interfaceCounters(_ m: Manifest, identity: ManifestIdentity, problems: inout [String]) -> [InterfaceCounters] {
        var out: [InterfaceCounters] = []
        for c in m.containers {
            guard let found = note(&problems, "container \(c.name)", { try namespace(of: c, identity: identity) }),
                  let ns = found else { continue }
            defer { kernel.release(ns) }
            guard let links = note(&problems, "container \(c.name)", { try kernel.links(in: ns).links() }) else { continue }
            for iface in c.interfaces {
                guard let link = links.first(where: { $0.name == iface.name }) else { continue }
                out.append(InterfaceCounters(container: c.name, interface: iface.name, stats: link.stats))
            }
        }
        return out
    }

    /// A container's namespace: declared, or — for an OCI hook entry — the one its record
    /// binds it to; nil when no container runs that entry.
    func namespace(of c: Container, identity: ManifestIdentity) throws -> NamespaceRef? {
        if let ns = c.netns { return ns }
        return try store.load(.hookContainer(identity, container: c.name))?.namespaces.first?.ref
    }

    /// The VF counters of each PF of `nics` with SR-IOV that has VFs now.
    func vfCounters(_ m: Manifest, problems: inout [String]) -> [VFCounters] {
        var out: [VFCounters] = []
        for nic in m.nics where nic.sriov != nil {
            let read = note(&problems, "nic \(nic.reference)") { () throws -> [VFCounters] in
                let pf = try kernel.sriov.findPF(nic.selector.pfSelector)
                let host = try kernel.links(in: .host)
                guard (pf.numVFs ?? 0) > 0, let link = try host.link(name: pf.name) else { return [] }
                return try host.vfStats(pfIndex: link.index, pfName: pf.name).map { VFCounters(pf: pf.name, stats: $0) }
            }
            out += read ?? []
        }
        return out
    }

    /// The value, or nil with the error noted under `what`.
    private func note<T>(_ problems: inout [String], _ what: String, _ body: () throws -> T) -> T? {
        do { return try body() } catch {
            problems.append("\(what): \(error)")
            return nil
        }
    }
}
