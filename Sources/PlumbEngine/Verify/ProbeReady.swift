import PlumbManifest
import PlumbNetlink
import PlumbSystem

extension Verifier {
    /// Waits (bounded) until the kernel's linkwatch work has activated every device the
    /// probe's packets cross: the probed link, its host end, and the bridge the host end is a
    /// port of. A device that comes up without carrier — a veth end brought up before its
    /// peer, a bridge made before its first port — gets its queueing discipline only from
    /// that work (asynchronous, and late on a busy host); until then it drops every packet
    /// it sends: the probe's ARP request, or the gateway's reply. The kernel asks again only
    /// after `retrans_time` (a second): sent early, a healthy path would answer a second
    /// late. Operstate UP is set by that same work, just before the queueing discipline, so
    /// it is what is awaited. A link that is down, or without carrier, is not waited for
    /// (the probe judges it), except a bridge whose port is up: it gets carrier from the
    /// port, through the same work.
    /// Equivalent to: `ip link show dev NAME` until it says `state UP`.
    func awaitLinkwatch(_ iface: Interface, container c: Container, link: LinkInfo, ops: any LinkOps,
                        host: NamespaceSnapshot, timeout: Duration = .seconds(1)) throws {
        let hostOps = try kernel.links(in: .host)
        var pending: [(ops: any LinkOps, index: Int)] = []
        if link.up && link.carrier && !link.operUp { pending.append((ops, link.index)) }
        if case .veth = iface.kind, let end = host.link(named: iface.hostSideName(container: c.name)) {
            if end.up && end.carrier && !end.operUp { pending.append((hostOps, end.index)) }
            if end.up, let m = end.master, let bridge = host.link(index: m), bridge.up && !bridge.operUp {
                pending.append((hostOps, m))
            }
        }
        guard !pending.isEmpty else { return }
        _ = try Poll.until(timeout: timeout, interval: .microseconds(250)) { () throws -> Bool? in
            try pending.allSatisfy { try $0.ops.link(index: $0.index)?.operUp != false } ? true : nil
        }
    }
}
