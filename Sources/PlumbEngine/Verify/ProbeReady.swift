import PlumbManifest
import PlumbNetlink
import PlumbSystem

extension Verifier {
    /// Waits (bounded) until the kernel's linkwatch work has seen the carrier of the probed
    /// link and of its host end. A veth end brought up before its peer gets its queueing
    /// discipline only from that work (asynchronous, and late on a busy host); until then
    /// it drops every packet it sends. The probe's first packet is an ARP request, and the
    /// kernel asks again only after `retrans_time` (a second): sent early, a healthy path
    /// would answer a second late. Operstate UP is set by that same work, just before the
    /// queueing discipline, so it is what is awaited. A link without carrier is not waited
    /// for: the probe judges it.
    /// Equivalent to: `ip link show dev NAME` until it says `state UP`.
    func awaitLinkwatch(_ iface: Interface, container c: Container, link: LinkInfo, ops: any LinkOps,
                        host: NamespaceSnapshot, timeout: Duration = .seconds(1)) throws {
        var pending: [(ops: any LinkOps, index: Int)] = []
        if link.up && link.carrier && !link.operUp { pending.append((ops, link.index)) }
        if case .veth = iface.kind, let end = host.link(named: iface.hostSideName(container: c.name)),
           end.up && end.carrier && !end.operUp {
            pending.append((try kernel.links(in: .host), end.index))
        }
        guard !pending.isEmpty else { return }
        _ = try Poll.until(timeout: timeout, interval: .microseconds(250)) { () throws -> Bool? in
            try pending.allSatisfy { try $0.ops.link(index: $0.index)?.operUp != false } ? true : nil
        }
    }
}
