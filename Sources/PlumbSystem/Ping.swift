import Glibc
import PlumbTypes

/// One ICMP / ICMPv6 echo exchange, from a raw socket opened in the calling thread's
/// namespace: proof that a packet really arrives inside a container and comes back.
/// Equivalent to: `ip netns exec NS ping -c 1 -W 1 ADDR` (and, with `size`,
/// `ping -M do -s SIZE-28 ADDR`: as large as the link carries, Don't Fragment set).
public enum Ping {
    public struct Reply: Sendable {
        public var rttMicroseconds: Int
        public init(rttMicroseconds: Int) { self.rttMicroseconds = rttMicroseconds }
    }

    /// The outcome of a probe: a reply, or why none came (timeout, or the send itself
    /// failing, e.g. ENOBUFS when the kernel's neighbour table is full).
    public enum Outcome: Sendable {
        case reply(Reply)
        case noReply(String)
    }

    /// One echo request to `target`, waiting at most `timeoutMs` for its reply. `size`: the
    /// whole IP packet's length, sent with Don't Fragment (IPv4) / IPV6_DONTFRAG, so a hop
    /// that cannot carry it drops it instead of fragmenting; nil for a small packet.
    /// A failed send is an outcome, not an error.
    public static func echo(_ target: IPAddress, size: Int? = nil, timeoutMs: Int) -> Outcome {
        echoes(target, [Request(size: size, timeoutMs: timeoutMs)])[0]
    }

    /// One echo to send: its size (nil: small) and how long to wait for its reply.
    public struct Request: Sendable, Hashable {
        public var size: Int?
        public var timeoutMs: Int
        public init(size: Int?, timeoutMs: Int) { self.size = size; self.timeoutMs = timeoutMs }
    }

    /// Echo requests one after another from one socket (one thread in the namespace, not
    /// one each), stopping after the first that goes unanswered.
    public static func echoes(_ target: IPAddress, _ requests: [Request]) -> [Outcome] {
        let v6 = target.family == .v6
        let fd: Int32
        do {
            fd = try check("socket", v6 ? "AF_INET6 SOCK_RAW IPPROTO_ICMPV6" : "AF_INET SOCK_RAW IPPROTO_ICMP") {
                socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                       Int32(v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP))
            }
        } catch {
            return [.noReply("\(error)")]
        }
        defer { close(fd) }
        // DF on every request: a small one never needs fragmenting, a full-size one must not be.
        dontFragment(fd, v6: v6)
        var out: [Outcome] = []
        for (seq, r) in requests.enumerated() {
            do {
                if let reply = try exchange(fd, target, seq: UInt16(seq + 1), size: r.size, timeoutMs: r.timeoutMs) {
                    out.append(.reply(reply))
                    continue
                }
                out.append(.noReply("no reply within \(r.timeoutMs) ms"))
            } catch {
                out.append(.noReply("\(error)"))
            }
            break
        }
        return out
    }

    static let nonceBytes = 8

    static func exchange(_ fd: Int32, _ target: IPAddress, seq: UInt16, size: Int?, timeoutMs: Int) throws -> Reply? {
        let v6 = target.family == .v6
        var tv = timeval(tv_sec: timeoutMs / 1000, tv_usec: (timeoutMs % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        // The IP header (20 / 40 bytes) and the echo header (8) are part of `size`.
        let payload = max(nonceBytes, (size ?? 0) - (v6 ? 40 : 20) - 8)
        let id = UInt16.random(in: 1...UInt16.max)
        // Only the nonce is random: each random byte is a getrandom(2) call, and a 1500-byte
        // echo per container made that a million and a half syscalls over 1000 containers.
        let nonce = probeNonce()
        let bytes = nonce + [UInt8](repeating: 0xa5, count: payload - nonceBytes)
        let packet = echoRequest(v6: v6, id: id, seq: seq, payload: bytes)
        let start = monotonicMicros()
        if try send(fd, packet, to: target) < 0 {
            throw SystemError("sendto", "\(packet.count + (v6 ? 40 : 20))-byte echo to \(target)")
        }
        guard try awaitReply(fd, v6: v6, id: id, seq: seq, nonce: nonce, deadline: start + timeoutMs * 1000) else { return nil }
        return Reply(rttMicroseconds: monotonicMicros() - start)
    }

    /// `ping -M do`: IP_PMTUDISC_DO sets DF and refuses to fragment locally.
    static func dontFragment(_ fd: Int32, v6: Bool) {
        var on: Int32 = 2   // IP_PMTUDISC_DO / IPV6_PMTUDISC_DO
        if v6 {
            setsockopt(fd, Int32(IPPROTO_IPV6), 23 /* IPV6_MTU_DISCOVER */, &on, socklen_t(MemoryLayout<Int32>.size))
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_IPV6), 62 /* IPV6_DONTFRAG */, &one, socklen_t(MemoryLayout<Int32>.size))
        } else {
            setsockopt(fd, Int32(IPPROTO_IP), 10 /* IP_MTU_DISCOVER */, &on, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    static func send(_ fd: Int32, _ packet: [UInt8], to target: IPAddress) throws -> Int {
        packet.withUnsafeBytes { p in
            withSocketAddress(target, port: 0) { sa, len in sendto(fd, p.baseAddress, p.count, 0, sa, len) }
        }
    }

    /// Reads until our echo reply arrives or the deadline passes. The raw socket also
    /// sees other ICMP traffic in the namespace, so match type, id, seq and nonce.
    static func awaitReply(_ fd: Int32, v6: Bool, id: UInt16, seq: UInt16, nonce: [UInt8], deadline: Int) throws -> Bool {
        var buf = [UInt8](repeating: 0, count: 65536)
        while monotonicMicros() < deadline {
            let n = recv(fd, &buf, buf.count, 0)
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return false }
                throw SystemError("recv", "ICMP echo reply")
            }
            // Raw IPv4 sockets deliver the IP header; raw ICMPv6 sockets do not.
            let start = v6 ? 0 : Int(buf[0] & 0x0f) * 4
            guard n >= start + 8 + nonce.count else { continue }
            guard buf[start] == (v6 ? 129 : 0),       // echo reply
                  UInt16(buf[start + 4]) << 8 | UInt16(buf[start + 5]) == id,
                  UInt16(buf[start + 6]) << 8 | UInt16(buf[start + 7]) == seq,
                  Array(buf[(start + 8)..<(start + 8 + nonce.count)]) == nonce else { continue }
            return true
        }
        return false
    }

    /// An echo request; ICMPv6 checksums are the kernel's (it covers a pseudo-header).
    static func echoRequest(v6: Bool, id: UInt16, seq: UInt16, payload: [UInt8]) -> [UInt8] {
        var p: [UInt8] = [v6 ? 128 : 8, 0, 0, 0, UInt8(id >> 8), UInt8(id & 0xff), UInt8(seq >> 8), UInt8(seq & 0xff)] + payload
        if !v6 {
            let sum = internetChecksum(p)
            p[2] = UInt8(sum >> 8); p[3] = UInt8(sum & 0xff)
        }
        return p
    }

    /// RFC 1071 one's-complement sum.
    public static func internetChecksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < bytes.count { sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1]); i += 2 }
        if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }
}

/// Calls `body` with a sockaddr_in / sockaddr_in6 for `address:port`.
func withSocketAddress<T>(_ address: IPAddress, port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
    if address.family == .v6 {
        var a = sockaddr_in6()
        a.sin6_family = sa_family_t(AF_INET6)
        a.sin6_port = UInt16(port).bigEndian
        withUnsafeMutableBytes(of: &a.sin6_addr) { $0.copyBytes(from: address.bytes) }
        return withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        }
    }
    var a = sockaddr_in()
    a.sin_family = sa_family_t(AF_INET)
    a.sin_port = UInt16(port).bigEndian
    withUnsafeMutableBytes(of: &a.sin_addr) { $0.copyBytes(from: address.bytes) }
    return withUnsafePointer(to: &a) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
}

/// Microseconds on the monotonic clock (for timeouts and the benchmark).
public func monotonicMicros() -> Int {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec * 1_000_000 + ts.tv_nsec / 1000
}
