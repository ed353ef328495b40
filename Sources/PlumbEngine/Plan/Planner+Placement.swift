import PlumbManifest

/// What the plan says about where `spread` puts a NIC's queues.
extension Planner {
    /// One note per NIC whose `spread` placement changes something and whose node lacks some
    /// online CPUs: which come first, so a plan reader sees why queue 0 is not on CPU 0.
    func spreadNotes(_ tuning: [Step]) -> [String] {
        guard layer.managesHost else { return [] }
        let touched = Set(tuning.compactMap { step -> String? in
            switch step.action {
            case .setIRQAffinity(let c): return c.nic
            case .setQueueSteering(let c): return c.cpus == nil ? nil : c.nic
            default: return nil
            }
        })
        return manifest.nics.compactMap { nic in
            guard let t = nic.tuning, t.usesSpread, let name = nicName(nic), touched.contains(name),
                  let s = observed.nics[name], let local = s.localCPUs, !local.isEmpty,
                  !Set(s.onlineCPUs).isSubset(of: Set(local)) else { return nil }   // a node with every CPU says nothing
            return "spread on \(name): \(s.spreadOrigin)"
        }
    }
}

extension Tuning {
    /// Some `spread` policy: `irqAffinity: spread`, or `cpus: spread` under rps/xps.
    var usesSpread: Bool {
        if irqAffinity == .spread { return true }
        return [rps, xps].contains { steering in
            switch steering {
            case .all(let q)?: return q.cpus == .spread
            case .each(let qs)?: return qs.contains { $0.cpus == .spread }
            case nil: return false
            }
        }
    }
}
