import PlumbManifest
import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// Verify rows for the declared features (other than GRO, which has its own row),
/// txqueuelen and per-queue RPS/XPS/RFS, read back from ethtool netlink, rtnetlink and sysfs.
extension NICReporter {
    static func features(_ s: NICState, _ want: Tuning.Offloads?) -> [Check] {
        let declared = (want?.settings ?? []).filter { $0.name != "gro" && $0.name != "generic-receive-offload" }
        return declared.map { w in
            guard let f = s.features, let members = Ethtool.FeatureNames.resolve(w.name, in: f),
                  let state = Ethtool.FeatureNames.state(of: members, in: f) else {
                return Check("offload \(w.name)", s.name, .fail, expected: w.on ? "on" : "off",
                             observed: s.features == nil ? (s.unsupported["features"] ?? "unreadable") : "no such feature", evidence: [.ethtool])
            }
            let on = w.on ? state.active : !members.contains { f[$0]!.active }
            return Check.expect("offload \(w.name)", s.name, on, expected: w.on ? "on" : "off", observed: state.description, evidence: [.ethtool])
        }
    }

    static func txqueuelen(_ s: NICState, _ want: Int?) -> [Check] {
        guard let want else { return [] }
        return [Check.expect("txqueuelen", s.name, s.txqueuelen == want, expected: "\(want)",
                             observed: s.txqueuelen.map(String.init) ?? "unreadable", evidence: [.netlink])]
    }

    /// One row for the rx queues (RPS and RFS) or the tx queues (XPS): every queue as declared.
    static func steering(_ s: NICState, _ want: Tuning.Steering?, rx: Bool) -> [Check] {
        guard let want else { return [] }
        let queues = rx ? s.rxQueues : s.txQueues
        let name = rx ? "rps" : "xps"
        let settings: [Tuning.QueueSteering]
        switch want {
        case .all(let q): settings = Array(repeating: q, count: queues.count)
        case .each(let l): settings = l
        }
        let expected = zip(queues.indices, settings).map { i, w in
            "\(queues[i].queue) \(wantedCPUs(w.cpus, queue: i, s).map(\.description) ?? "?")" + (rx ? w.flowEntries.map { " flows \($0)" } ?? "" : "")
        }
        let observed = zip(queues, settings).map { q, w in
            "\(q.queue) \(q.cpus?.description ?? "?")" + (rx && w.flowEntries != nil ? " flows \(q.flowCount.map(String.init) ?? "?")" : "")
        }
        let ok = !queues.isEmpty && settings.count == queues.count && expected == observed
        return [Check.expect(name, s.name, ok, expected: expected.joined(separator: ", "),
                             observed: observed.isEmpty ? "no queues in sysfs" : observed.joined(separator: ", "), evidence: [.procfs])]
    }

    /// The CPUs queue `i` should steer to, as the planner computes them.
    static func wantedCPUs(_ cpus: Tuning.QueueSteering.CPUs, queue i: Int, _ s: NICState) -> CPUSet? {
        switch cpus {
        case .spread: return s.spreadCPUs.isEmpty ? nil : [s.spreadCPUs[i % s.spreadCPUs.count]]
        case .list(let text): return try? CPUSet(parsing: text)
        }
    }
}
