import PlumbFirewall
import PlumbNetlink
import PlumbTypes

/// What one verify run learns and holds as it goes, shared by its containers.
final class VerifySession {
    /// Gateways that ignore ICMP echo (TCP answered where echo did not): the next
    /// container on the same gateway starts with the evidence that works there.
    var echoIgnored: Set<IPAddress> = []
    /// Bridges whose gateway broadcast ARP resolved to the bridge's MAC in this run, and
    /// from which container: the next containers there ask the bridge directly.
    var broadcastARP: [String: String] = [:]
    /// The outside network of the forwarding checks, made on first use, removed by `close`.
    var outside: OutsideNetwork?
    private var rules: Ruleset?
    private var bound: [BoundSocket]?

    /// The host's whole ruleset, read once per run (only when something needs explaining).
    func ruleset(_ read: () throws -> Ruleset) throws -> Ruleset {
        if let rules { return rules }
        let r = try read()
        rules = r
        return r
    }

    /// The host's bound sockets (sock_diag), read once per run.
    func boundSockets(_ read: () throws -> [BoundSocket]) throws -> [BoundSocket] {
        if let bound { return bound }
        let b = try read()
        bound = b
        return b
    }

    /// Removes what the run made: the outside network and its veth.
    func close(_ kernel: any Kernel, _ removal: OutsideRemoval) throws {
        guard let o = outside else { return }
        outside = nil
        try kernel.removeOutside(o, removal)
    }
}
