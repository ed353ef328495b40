import CLinux
import Glibc
import PlumbTypes

/// ARP asked of one known station: a request sent to its MAC, not broadcast. A bridge
/// forwards it to that station's port instead of flooding it into every namespace on
/// the bridge, so asking costs the same with ten ports or a thousand. The answer is real
/// ARP: the station's kernel must own the address, accept the request on its port and
/// send its reply back through it. One socket serves a whole run: closing an AF_PACKET
/// socket waits for an RCU grace period (about 10 ms).
public final class ARPSocket {
    public struct Request: Sendable, Hashable {
        /// The link the request leaves by (ifindex in the socket's namespace) and the one the
        /// reply arrives on (the same, or the bridge of a bridge port), as whom (MAC, IPv4).
        public var index: Int
        public var replyIndex: Int
        public var sourceMAC: MACAddress
        public var source: IPAddress
        /// Who is asked (the Ethernet destination) and about which address.
        public var stationMAC: MACAddress
        public var target: IPAddress
        public var timeoutMs: Int
        public init(index: Int, replyIndex: Int, sourceMAC: MACAddress, source: IPAddress, stationMAC: MACAddress,
                    target: IPAddress, timeoutMs: Int) {
            self.index = index; self.replyIndex = replyIndex; self.sourceMAC = sourceMAC; self.source = source
            self.stationMAC = stationMAC; self.target = target; self.timeoutMs = timeoutMs
        }
    }

    let fd: Int32

    /// A socket in the caller's namespace.
    public init() throws {
        fd = try check("socket", "AF_PACKET SOCK_DGRAM ETH_P_ARP") { plumb_arp_socket() }
    }

    deinit { close(fd) }

    /// The MAC that answered for `r.target`; nil when no answer came in time.
    /// Equivalent to: `arping -c 1 -t STATION_MAC -s SOURCE_MAC -S SOURCE -i DEV TARGET` (Habets' arping).
    public func ask(_ r: Request) throws -> MACAddress? {
        guard r.source.family == .v4, r.target.family == .v4 else {
            throw SystemError("arp", "\(r.target): ARP is IPv4 only", .invalid)
        }
        var answer = [UInt8](repeating: 0, count: 6)
        let got = plumb_arp_ask(fd, Int32(r.index), Int32(r.replyIndex), r.sourceMAC.bytes, r.source.bytes, r.stationMAC.bytes, r.target.bytes,
                                Int32(r.timeoutMs), &answer)
        if got < 0 { throw SystemError("arp", "who-has \(r.target) to \(r.stationMAC) on ifindex \(r.index)") }
        return got == 1 ? MACAddress(bytes: answer) : nil
    }
}
