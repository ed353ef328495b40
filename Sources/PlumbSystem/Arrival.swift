import CLinux
import Glibc
import PlumbTypes

/// Watches one link of a server's namespace while a datagram is sent to a port a real
/// server holds there (Plumb cannot listen on it): was the datagram seen arriving on the
/// link, and did that namespace's UDP layer take a datagram meanwhile? Open it in the
/// server's namespace before sending (a packet socket and /proc/thread-self/net are the
/// namespace of the thread that opens or reads them).
public final class ArrivalWatch {
    let fd: Int32
    public let index: Int
    public let address: IPAddress
    /// The namespace's UDP counters when the watch began.
    public let before: UDPCounters

    /// Equivalent to: `tcpdump -i LINK -Q in udp and dst ADDRESS` started, and `nstat` read.
    public init(index: Int, address: IPAddress) throws {
        fd = try check("socket", "AF_PACKET on ifindex \(index)") { plumb_arrival_socket(Int32(index), address.family == .v6 ? 1 : 0) }
        self.index = index; self.address = address
        do { before = try UDPCounters.read(address.family) } catch { close(fd); throw error }
    }

    deinit { close(fd) }

    /// True once a UDP datagram to `address`:`port` from source port `sourcePort` was
    /// received on the link; false when none came within `timeoutMs`.
    public func sawDatagram(port: Int, sourcePort: Int, timeoutMs: Int) throws -> Bool {
        let got = plumb_arrival_wait(fd, Int32(IPPROTO_UDP), address.bytes, Int32(address.bytes.count), Int32(port),
                                     Int32(sourcePort), Int32(timeoutMs))
        if got < 0 { throw SystemError("recv", "AF_PACKET on ifindex \(index)") }
        return got == 1
    }
}

/// The UDP layer's receive counters of the reading thread's namespace
/// (`/proc/net/snmp` Udp, `/proc/net/snmp6` Udp6): every datagram addressed to one of the
/// namespace's own addresses lands in one of them, whether a socket took it or not.
public struct UDPCounters: Sendable, Equatable {
    /// InDatagrams + NoPorts + InErrors + RcvbufErrors.
    public var received: Int

    public static func read(_ family: IPFamily) throws -> UDPCounters {
        let fields = ["InDatagrams", "NoPorts", "InErrors", "RcvbufErrors"]
        switch family {
        case .v4:
            // Two lines: "Udp: InDatagrams NoPorts …" then "Udp: 12 0 …".
            let lines = try Files.read("/proc/thread-self/net/snmp").split(separator: "\n").filter { $0.hasPrefix("Udp: ") }
            guard lines.count >= 2 else { throw SystemError("parse", "/proc/net/snmp Udp", .invalid) }
            let names = lines[0].split(separator: " ").dropFirst().map(String.init)
            let values = lines[1].split(separator: " ").dropFirst().map { Int($0) ?? 0 }
            let byName = Dictionary(zip(names, values), uniquingKeysWith: { a, _ in a })
            return UDPCounters(received: fields.reduce(0) { $0 + (byName[$1] ?? 0) })
        case .v6:
            // One "Udp6InDatagrams 12" per line.
            var byName: [String: Int] = [:]
            for line in try Files.read("/proc/thread-self/net/snmp6").split(separator: "\n") {
                let kv = line.split(separator: " ", omittingEmptySubsequences: true)
                if kv.count == 2 { byName[String(kv[0])] = Int(kv[1]) }
            }
            return UDPCounters(received: fields.reduce(0) { $0 + (byName["Udp6" + $1] ?? 0) })
        }
    }
}
