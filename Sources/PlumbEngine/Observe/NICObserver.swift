import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// Reads a NIC's tuning through the ethtool netlink family and procfs. A setting the
/// driver cannot report is kept with the reason, for an error naming the driver.
public struct NICObserver {
    let ethtool: any EthtoolOps
    let proc: any ProcOps

    public init(ethtool: any EthtoolOps, proc: any ProcOps) { self.ethtool = ethtool; self.proc = proc }

    public func observe(_ name: String) -> NICState {
        var s = NICState(name: name)
        s.driver = (try? ethtool.driverInfo(name).driver) ?? ""
        s.rings = attempt("rings", &s) { try ethtool.rings(name) }
        s.channels = attempt("channels", &s) { try ethtool.channels(name) }
        s.coalesce = attempt("coalesce", &s) { try ethtool.coalesce(name) }
        s.features = attempt("features", &s) { try ethtool.features(name) }
        s.rss = attempt("rss", &s) { try ethtool.rss(name) }
        if s.rss != nil {
            for flow in RxFlowType.allCases {
                s.hashFields[flow] = attempt("rx-flow-hash \(flow.rawValue)", &s) { try ethtool.hashFields(name, flow) }
            }
        }
        if s.features == nil { s.unsupported["gro"] = s.unsupported["features"] }
        s.queues = attempt("queues", &s) { try proc.queues(of: name) } ?? []
        let locality = proc.locality(of: name)
        s.localCPUs = locality?.cpus.cpus
        s.numaNode = locality?.node
        s.irqs = ((try? proc.queueIRQs(of: name)) ?? []).map { q in
            NICState.IRQ(irq: q.irq, name: q.name, cpus: (try? proc.affinity(of: q.irq).description) ?? "?")
        }
        s.onlineCPUs = (try? proc.onlineCPUs().cpus) ?? []
        // Only a NIC with interrupts to place has anything to fear from irqbalance.
        if !s.irqs.isEmpty { s.irqbalance = proc.irqbalance() }
        return s
    }

    func attempt<T>(_ what: String, _ s: inout NICState, _ body: () throws -> T?) -> T? {
        do { return try body() } catch {
            s.unsupported[what] = "\(error)"
            return nil
        }
    }
}
