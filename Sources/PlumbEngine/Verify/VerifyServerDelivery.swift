import PlumbSystem

/// Where a forwarded probe should land when a real server already holds the port.
struct ServerSide {
    var container: String
    var link: String
    var endpoint: Endpoint
}

/// A UDP datagram to a port a real server holds: Plumb cannot put its own socket there, so
/// the evidence that the path works is what the container did with the datagram. An answer
/// is proof (it came back through the reverse NAT), and so is ICMP port unreachable from the
/// container's kernel — but only once the datagram was seen on the container's link: a host
/// firewall's `reject` sends the same ICMP. A server that stays silent (an empty datagram
/// deserves no answer) is proof when the datagram was seen arriving on the link *and* the
/// container's UDP layer received a datagram meanwhile (a frame for an address the container
/// no longer holds arrives on the link too, from a cached neighbour entry, and is dropped
/// below UDP). Conntrack must name the container in every case (the caller checks).
extension ExchangeResult.ServerDelivery {
    var evidence: [Evidence] {
        switch answer {
        case .datagram: return seenOnLink == true ? [.linkArrival, .udpAnswer] : [.udpAnswer]
        case .portUnreachable: return seenOnLink == true ? [.linkArrival, .icmpUnreachable] : [.icmpUnreachable]
        case .none: return seenOnLink == true ? [.linkArrival, .udpCounters] : [.linkArrival]
        }
    }

    /// The sentence that proves the datagram reached the container; nil when nothing does.
    func proof(_ at: ServerSide) -> String? {
        let seen = "seen arriving on \(at.link) in \(at.container)"
        switch answer {
        case .datagram:
            return "a server already on \(at.endpoint) answered the datagram" + (seenOnLink == true ? " (\(seen))" : "")
        case .portUnreachable where seenOnLink == true:
            return "the datagram was \(seen) and its kernel answered ICMP port unreachable: the path works, "
                + "but no socket takes \(at.endpoint) (is the server bound to another address?)"
        case .none where seenOnLink == true && (udpReceived ?? 0) > 0:
            return "the datagram was \(seen) and \(at.container)'s UDP layer received it (+\(udpReceived ?? 0) in the window); "
                + "the server on \(at.endpoint) sent no answer (a UDP service need not answer an empty datagram)"
        case .portUnreachable, .none:
            return nil
        }
    }

    /// Why the datagram is not proven to have arrived.
    func failure(_ at: ServerSide, timeoutMs: Int) -> String {
        switch (seenOnLink, answer) {
        case (true?, .portUnreachable), (true?, .none):
            return "the datagram arrived on \(at.link) in \(at.container), but its UDP layer never received it: "
                + "\(at.endpoint.address) is not an address \(at.container) takes (removed?)"
        case (_, .portUnreachable):
            return "ICMP port unreachable came back, but the datagram never arrived on \(at.link) in \(at.container): "
                + "something on the way rejected it"
        case (_, _):
            return "no answer, and the datagram never arrived on \(at.link) in \(at.container) within \(timeoutMs) ms"
        }
    }
}
