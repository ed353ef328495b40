import PlumbManifest
import PlumbSystem
import PlumbTypes

/// `rps:` / `xps:` → one step per queue whose sysfs steering differs (RPS, RFS, XPS).
extension Planner {
    /// RFS needs this host-wide table as well as each queue's rps_flow_cnt.
    static let sockFlowEntries = "net.core.rps_sock_flow_entries"

    func steeringSteps(_ want: Tuning.Steering, rx: Bool, _ s: NICState, path: String) throws -> [Step] {
        let queues = rx ? s.rxQueues : s.txQueues
        let kind = rx ? "RPS (rps_cpus)" : "XPS (xps_cpus)"
        guard !queues.isEmpty, queues.allSatisfy({ $0.cpus != nil }) else {
            throw error(path, "\(s.name) (driver \(driverName(s))) shows no \(kind) under /sys/class/net/\(s.name)/queues"
                        + (s.unsupported["queues"].map { ": \($0)" } ?? ""))
        }
        let wanted = try perQueue(want, count: queues.count, s, path: path)
        return try zip(queues, wanted).enumerated().compactMap { i, pair in
            let (q, (w, at)) = pair
            let cpus = try cpuSet(w.cpus, queue: i, s, path: at)
            var c = QueueSteeringChange(nic: s.name, queue: q.queue, cpus: change(cpus, q.cpus!), flowCount: nil)
            if rx, let flows = w.flowEntries {
                guard let have = q.flowCount else {
                    throw error(at + ".flowEntries", "\(s.name) (driver \(driverName(s))) has no rps_flow_cnt for \(q.queue) (RFS)")
                }
                c.flowCount = change(flows, have)
            }
            return c.isEmpty ? nil : Step(.setQueueSteering(c))
        }
    }

    /// One setting per queue, each with its manifest path.
    func perQueue(_ want: Tuning.Steering, count: Int, _ s: NICState, path: String) throws -> [(Tuning.QueueSteering, String)] {
        switch want {
        case .all(let q): return Array(repeating: (q, path), count: count)
        case .each(let list):
            guard list.count == count else {
                throw error(path, "\(list.count) settings for \(count) queues of \(s.name): give one per queue, or one for all")
            }
            return list.enumerated().map { ($0.element, "\(path)[\($0.offset)]") }
        }
    }

    /// `spread`: queue i gets the i-th CPU local to the NIC (wrapping); a list must name online CPUs
    /// (the kernel drops offline ones from the mask, which would read back as drift).
    func cpuSet(_ cpus: Tuning.QueueSteering.CPUs, queue i: Int, _ s: NICState, path: String) throws -> CPUSet {
        switch cpus {
        case .spread:
            let pool = s.spreadCPUs
            guard !pool.isEmpty else { throw error(path + ".cpus", "cannot read the CPUs local to \(s.name) nor the online CPUs") }
            return [pool[i % pool.count]]
        case .list(let text):
            let set: CPUSet
            do { set = try CPUSet(parsing: text) } catch { throw self.error(path + ".cpus", "\(error)") }
            let offline = set.cpus.filter { !s.onlineCPUs.contains($0) }
            if !offline.isEmpty, !s.onlineCPUs.isEmpty {
                throw error(path + ".cpus", "CPU \(CPUSet(offline)) is not online (online: \(CPUSet(s.onlineCPUs)))")
            }
            return set
        }
    }

    func driverName(_ s: NICState) -> String { s.driver.isEmpty ? "unknown" : s.driver }

    /// What RFS needs beyond the queues: `net.core.rps_sock_flow_entries`, which exists only
    /// in the initial network namespace. Declared under `host.sysctl` it is set like any
    /// sysctl (and refused where it does not exist); otherwise the plan says what is missing.
    func rfsNotes() -> [String] {
        guard layer.managesHost, manifest.nics.contains(where: { $0.tuning?.rps?.wantsFlows == true }),
              !manifest.host.sysctl.contains(where: { $0.key == Self.sockFlowEntries }) else { return [] }
        switch observed.sysctls[Self.sockFlowEntries] {
        case nil:
            return ["RFS: \(Self.sockFlowEntries) exists only in the initial network namespace, and plumb runs in another one: "
                    + "the queues' rps_flow_cnt is set, but flows are steered only once it is set in the initial namespace"]
        case "0"?:
            return ["RFS: \(Self.sockFlowEntries) is 0, so the queues' flow tables steer nothing; declare it under host.sysctl (e.g. 32768)"]
        default:
            return []
        }
    }
}
