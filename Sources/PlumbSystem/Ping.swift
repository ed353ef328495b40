import Glibc

/// One ICMP echo exchange, from a raw socket opened in the calling thread's
/// namespace: proof that a packet really arrives inside a container.
/// Equivalent to: `ip netns exec NS ping -c 1 -W 1 ADDR`.
public enum Ping {
    public struct Reply: Sendable {
        public var rttMicroseconds: Int
        public init(rttMicroseconds: Int) { self.rttMicroseconds = rttMicroseconds }
    }

    /// The outcome of a probe: a reply, or why none came (timeout, or the send
    /// itself failing, e.g. ENOBUFS when the kernel's neighbour table is full).
    public enum Outcome: Sendable {
        case reply(Reply)
        case noReply(String)
    }

    /// Like `ipv4`, but patient and total: attempts wait 0.25, 0.5, 1, 2 and 4 s,
    /// so a healthy path answers at once while a link that has just come up (a VF
    /// resetting after its PF set its MAC and VLAN) gets time; a failed send is an
    /// outcome, not an error.
    public static func probe(_ target: [UInt8], backoffMs: [Int] = [250, 500, 1000, 2000, 4000]) -> Outcome {
        do {
            for t in backoffMs {
                if let r = try ipv4(target, attempts: 1, timeoutMs: t) { return .reply(r) }
            }
            return .noReply("no reply within \(backoffMs.reduce(0, +)) ms (\(backoffMs.count) echo requests)")
        } catch {
            return .noReply("\(error)")
        }
    }

    /// Sends echo requests to the IPv4 address `target` (4 bytes) until one reply
    /// carrying our nonce arrives or `attempts` × `timeoutMs` pass. Returns nil on timeout.
    public static func ipv4(_ target: [UInt8], attempts: Int = 3, timeoutMs: Int = 500) throws -> Reply? {
        let fd = try check("socket", "AF_INET SOCK_RAW IPPROTO_ICMP") {
            socket(AF_INET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(IPPROTO_ICMP))
        }
        defer { close(fd) }
        var tv = timeval(tv_sec: timeoutMs / 1000, tv_usec: (timeoutMs % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        withUnsafeMutableBytes(of: &addr.sin_addr) { $0.copyBytes(from: target) }
        let id = UInt16.random(in: 1...UInt16.max)
        for seq in 1...UInt16(max(1, attempts)) {
            let nonce = (0..<8).map { _ in UInt8.random(in: 0...255) }
            let packet = echoRequest(id: id, seq: seq, payload: nonce)
            let start = monotonicMicros()
            let sent = packet.withUnsafeBytes { p in
                withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, p.baseAddress, p.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            if sent < 0 { throw SystemError("sendto", "ICMP echo to \(target.map(String.init).joined(separator: "."))") }
            if try awaitReply(fd, id: id, seq: seq, nonce: nonce, deadline: start + timeoutMs * 1000) {
                return Reply(rttMicroseconds: monotonicMicros() - start)
            }
        }
        return nil
    }

    /// Reads until our echo reply arrives or the deadline passes. The raw socket
    /// also sees other ICMP traffic in the namespace, so match id, seq and nonce.
    static func awaitReply(_ fd: Int32, id: UInt16, seq: UInt16, nonce: [UInt8], deadline: Int) throws -> Bool {
        var buf = [UInt8](repeating: 0, count: 1500)
        while monotonicMicros() < deadline {
            let n = recv(fd, &buf, buf.count, 0)
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return false }
                throw SystemError("recv", "ICMP echo reply")
            }
            let ihl = Int(buf[0] & 0x0f) * 4        // raw IPv4 sockets deliver the IP header
            guard n >= ihl + 8 + nonce.count else { continue }
            let icmp = buf[ihl..<n]
            let b = icmp.startIndex
            guard icmp[b] == 0,                      // echo reply
                  UInt16(icmp[b + 4]) << 8 | UInt16(icmp[b + 5]) == id,
                  UInt16(icmp[b + 6]) << 8 | UInt16(icmp[b + 7]) == seq,
                  Array(icmp[(b + 8)..<(b + 8 + nonce.count)]) == nonce else { continue }
            return true
        }
        return false
    }

    static func echoRequest(id: UInt16, seq: UInt16, payload: [UInt8]) -> [UInt8] {
        var p: [UInt8] = [8, 0, 0, 0, UInt8(id >> 8), UInt8(id & 0xff), UInt8(seq >> 8), UInt8(seq & 0xff)] + payload
        let sum = internetChecksum(p)
        p[2] = UInt8(sum >> 8); p[3] = UInt8(sum & 0xff)
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

/// Microseconds on the monotonic clock (for timeouts and the benchmark).
public func monotonicMicros() -> Int {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec * 1_000_000 + ts.tv_nsec / 1000
}
