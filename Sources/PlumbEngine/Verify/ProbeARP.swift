import PlumbManifest
import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// How ARP is exercised. A container's first packet to its gateway is an ARP broadcast,
/// which a bridge floods into every namespace on it: with a thousand ports, a thousand
/// copies per container, and verify grew with the square of the ports. So:
/// - broadcast ARP for the gateway is exercised once per bridge and run, by the kernel,
///   from the first container whose gateway is not yet resolved; its entry must name the
///   bridge's MAC (a station answering for the gateway from another MAC fails it there);
/// - every further container on the bridge is asked by the bridge itself: one ARP request
///   as from the bridge (its MAC, the gateway's address) sent out of the container's port
///   to the container's MAC — not through the bridge, whose forwarding database may not
///   know that MAC yet and would flood it. The container's kernel must answer through its
///   port to the bridge — ARP crosses the port both ways — and learns the gateway's MAC
///   from the request, as from any; the host's entry for the container is its answer.
/// - a container that already had an entry for its gateway is probed through it as it is:
///   that is what its own traffic uses.
/// IPv6 neighbour discovery stays the kernel's, per container (multicast).
enum GatewayResolution: Equatable {
    /// The container had the entry before the probe.
    case existing
    /// The kernel resolves it as the container's traffic would (broadcast ARP, multicast ND).
    case kernel
    /// The bridge asked the container (answered from `answeredBy`); broadcast ARP on the
    /// bridge resolved the gateway to the bridge's MAC from container `provenBy` in this run.
    case fromBridge(answeredBy: MACAddress, provenBy: String)

    var evidence: Evidence { if case .fromBridge = self { return .arpFromBridge } else { return .arp } }
}

extension Verifier {
    /// How long a container may take to answer the bridge's ARP request (at once when
    /// healthy; without an answer the kernel's own broadcast ARP takes over).
    static let bridgeARPTimeoutMs = 250

    func resolveGateway(_ t: ProbeTarget, iface: Interface, link: LinkInfo, hostEnd: String, host: NamespaceSnapshot,
                        had: Set<IPAddress>, session: VerifySession) throws -> GatewayResolution {
        if had.contains(t.gateway) { return .existing }
        guard t.family == .v4, t.hostHoldsGateway, let bridgeMAC = t.expectedMAC, let proven = session.broadcastARP[t.macOwner],
              let mac = link.mac, let bridge = host.link(named: t.macOwner)?.index, let port = host.link(named: hostEnd)?.index,
              let mine = iface.addresses.first(where: { $0.family == .v4 && $0.contains(t.gateway) })?.address else {
            return .kernel
        }
        let request = ARPSocket.Request(index: port, replyIndex: bridge, sourceMAC: bridgeMAC, source: t.gateway, stationMAC: mac, target: mine,
                                        timeoutMs: Self.bridgeARPTimeoutMs)
        guard let answer = try kernel.askARP(request) else { return .kernel }
        // The host's entry for the container, from its answer: the echo's reply needs it,
        // and resolving it the kernel's way would be a broadcast again.
        do {
            try kernel.links(in: .host).addNeighbour(mine, mac: answer, index: bridge, name: t.macOwner)
        } catch let e as NetlinkError where e.errno == .exists {}
        return .fromBridge(answeredBy: answer, provenBy: proven)
    }

    /// After a probe the kernel resolved by broadcast: when it resolved the gateway to the
    /// bridge's MAC, the bridge may ask the rest of its containers directly.
    func noteBroadcastARP(_ t: ProbeTarget, _ how: GatewayResolution, neighbour: NeighbourInfo?, container: String,
                          session: VerifySession) {
        guard how == .kernel, t.family == .v4, t.hostHoldsGateway, let want = t.expectedMAC, neighbour?.mac == want,
              session.broadcastARP[t.macOwner] == nil else { return }
        session.broadcastARP[t.macOwner] = container
    }
}
