import PlumbNetlink
import PlumbSystem

/// Reads a NIC's tuning through the ethtool netlink family and procfs.
public struct NICObserver {
    let ethtool: EthtoolSocket

    public init(ethtool: EthtoolSocket) { self.ethtool = ethtool }

    public func observe(_ name: String) -> NICState {
        var s = NICState(name: name)
        s.driver = (try? ethtool.driverInfo(name).driver) ?? ""
        s.rings = attempt("rings", &s) { try ethtool.rings(name) }
        s.channels = attempt("channels", &s) { try ethtool.channels(name) }
        s.coalesce = attempt("coalesce", &s) { try ethtool.coalesce(name) }
        s.gro = attempt("gro", &s) { try ethtool.features(name).gro }
        s.irqs = ((try? IRQs.queueIRQs(of: name)) ?? []).map { q in
            NICState.IRQ(irq: q.irq, name: q.name, cpus: (try? IRQs.affinity(of: q.irq).description) ?? "?")
        }
        s.onlineCPUs = (try? IRQs.onlineCPUs().cpus) ?? []
        return s
    }

    func attempt<T>(_ what: String, _ s: inout NICState, _ body: () throws -> T?) -> T? {
        do { return try body() } catch {
            s.unsupported[what] = "\(error)"
            return nil
        }
    }
}
