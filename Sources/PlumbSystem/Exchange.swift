import Glibc
import PlumbTypes

/// An address and a port: `10.88.0.2:80`, `[fd00::2]:80`.
public struct Endpoint: Sendable, Hashable, Codable, CustomStringConvertible {
    public var address: IPAddress
    public var port: Int
    public init(_ address: IPAddress, _ port: Int) { self.address = address; self.port = port }
    public var description: String { address.family == .v6 ? "[\(address)]:\(port)" : "\(address):\(port)" }
}

public enum TransportProtocol: String, Sendable, Hashable, Codable { case tcp, udp }

/// What one exchange showed.
public struct ExchangeResult: Sendable {
    public enum Delivery: Sendable {
        /// Plumb's own listener received the nonce, from this peer (its source after any NAT).
        case nonce(from: Endpoint)
        /// A server that already held the port completed the TCP handshake.
        case handshake
        /// A UDP datagram went to a port a server holds: what came of it.
        case toServer(ServerDelivery)
        case failed(String)
    }

    /// A datagram sent to a port a real server already holds, where Plumb cannot listen:
    /// the evidence that it got there is an answer, or else what the server's namespace saw.
    public struct ServerDelivery: Sendable {
        public enum Answer: Sendable, Equatable {
            /// A datagram came back to the client (through the reverse NAT).
            case datagram
            /// ICMP port unreachable came back (ECONNREFUSED on the connected socket).
            case portUnreachable
            /// Nothing came back: a UDP service need not answer an empty datagram.
            case none
        }
        public var answer: Answer
        /// The datagram was seen arriving on the server's link (nil: not watched).
        public var seenOnLink: Bool?
        /// Datagrams the server namespace's UDP layer received while the probe ran.
        public var udpReceived: Int?
        public init(answer: Answer, seenOnLink: Bool? = nil, udpReceived: Int? = nil) {
            self.answer = answer; self.seenOnLink = seenOnLink; self.udpReceived = udpReceived
        }
    }

    /// After the nonce, one segment as large as the connection's MSS (the path's MTU).
    public enum FullSegment: Sendable {
        case arrived(bytes: Int)
        case lost(bytes: Int, why: String)
    }

    public var delivery: Delivery
    /// The client socket's own address and port: the original tuple conntrack knows it by.
    public var client: Endpoint?
    public var fullSegment: FullSegment?

    public init(delivery: Delivery, client: Endpoint? = nil, fullSegment: FullSegment? = nil) {
        self.delivery = delivery; self.client = client; self.fullSegment = fullSegment
    }
}

/// A socket Plumb listens on, opened in the server's namespace (create it on a thread
/// there: a socket stays in the namespace it was made in).
public final class ProbeListener {
    let fd: Int32
    public let proto: TransportProtocol
    /// False when the port was already taken: a real server is there.
    public let ours: Bool
    public let port: Int

    init(fd: Int32, proto: TransportProtocol, ours: Bool, port: Int) {
        self.fd = fd; self.proto = proto; self.ours = ours; self.port = port
    }
    deinit { if fd >= 0 { close(fd) } }

    /// Binds `address` (nil: any of `family`) at `port` (0: a free one); TCP listens.
    /// EADDRINUSE → `ours == false`. Equivalent to: `nc -l [ADDRESS] PORT` (or `nc -lu`).
    public static func open(_ proto: TransportProtocol, address: IPAddress?, family: IPFamily, port: Int,
                            timeoutMs: Int) throws -> ProbeListener {
        let fd = try openSocket(proto, family)
        // TCP only: a port in TIME_WAIT is free to reuse, one in LISTEN never is. For UDP
        // SO_REUSEADDR would let Plumb share (and steal from) a server's port.
        if proto == .tcp { var one: Int32 = 1; setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) }
        let any = IPAddress(bytes: [UInt8](repeating: 0, count: family == .v6 ? 16 : 4))!
        let at = address ?? any
        let rc = withSocketAddress(at, port: port) { bind(fd, $0, $1) }
        if rc != 0 {
            let e = errno
            close(fd)
            if e == EADDRINUSE { return ProbeListener(fd: -1, proto: proto, ours: false, port: port) }
            throw SystemError("bind", Endpoint(at, port).description, Errno(rawValue: e))
        }
        if proto == .tcp { try check("listen", Endpoint(at, port).description) { Glibc.listen(fd, 4) } }
        setTimeout(fd, ms: timeoutMs)
        return ProbeListener(fd: fd, proto: proto, ours: true, port: localEndpoint(fd)?.port ?? port)
    }
}

/// An unconnected client socket, opened in the client's namespace.
public final class ProbeSocket {
    let fd: Int32
    public let proto: TransportProtocol
    public init(_ proto: TransportProtocol, family: IPFamily) throws {
        fd = try openSocket(proto, family); self.proto = proto
    }
    deinit { close(fd) }
}

/// A connection (TCP) or datagram (UDP) from a client socket to `target`, checked on the
/// listener: the nonce must arrive there. Equivalent to: `echo NONCE | nc TARGET PORT`.
public enum Exchanges {
    /// `watch`: for a UDP datagram to a port a server holds, the server's link to see it arrive on.
    public static func run(_ client: ProbeSocket, to target: Endpoint, listener: ProbeListener,
                           fullSegment: Bool, watch: ArrivalWatch? = nil, timeoutMs: Int) -> ExchangeResult {
        setTimeout(client.fd, ms: timeoutMs)
        switch client.proto {
        case .tcp: return tcp(client.fd, to: target, listener: listener, fullSegment: fullSegment, timeoutMs: timeoutMs)
        case .udp: return udp(client.fd, to: target, listener: listener, watch: watch, timeoutMs: timeoutMs)
        }
    }

    static func tcp(_ fd: Int32, to target: Endpoint, listener: ProbeListener, fullSegment: Bool, timeoutMs: Int) -> ExchangeResult {
        let (me, failure) = connectTimed(fd, to: target, timeoutMs: timeoutMs)
        if let failure { return ExchangeResult(delivery: .failed(failure), client: me) }
        guard listener.ours else { return ExchangeResult(delivery: .handshake, client: me) }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let nonce = probeNonce()
        guard write(fd, nonce) else { return ExchangeResult(delivery: .failed("send: \(Errno.current.name)"), client: me) }
        let conn = accept(listener.fd, nil, nil)
        if conn < 0 { return ExchangeResult(delivery: .failed("the connection never reached plumb's listener (\(Errno.current.name))"), client: me) }
        defer { close(conn) }
        setTimeout(conn, ms: timeoutMs)
        let peer = peerEndpoint(conn)
        if let why = receive(conn, expecting: nonce) { return ExchangeResult(delivery: .failed(why), client: me) }
        let delivered = ExchangeResult.Delivery.nonce(from: peer ?? target)
        guard fullSegment else { return ExchangeResult(delivery: delivered, client: me) }
        return ExchangeResult(delivery: delivered, client: me, fullSegment: full(fd, conn))
    }

    /// One segment of exactly the connection's MSS (a single packet as large as the path
    /// MTU: more would go as GSO, which a veth forwards whatever its MTU), then read it.
    static func full(_ fd: Int32, _ conn: Int32) -> ExchangeResult.FullSegment {
        var mss: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, Int32(IPPROTO_TCP), TCP_MAXSEG, &mss, &len)
        let bytes = Int(max(mss, 1))
        guard write(fd, [UInt8](repeating: 0x5a, count: bytes)) else { return .lost(bytes: bytes, why: "send: \(Errno.current.name)") }
        var got = 0
        var buf = [UInt8](repeating: 0, count: 65536)
        while got < bytes {
            let n = recv(conn, &buf, buf.count, 0)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return .lost(bytes: bytes, why: "\(got) of \(bytes) bytes arrived (\(n < 0 ? Errno.current.name : "closed"))") }
            got += n
        }
        return .arrived(bytes: bytes)
    }

    static func udp(_ fd: Int32, to target: Endpoint, listener: ProbeListener, watch: ArrivalWatch?, timeoutMs: Int) -> ExchangeResult {
        if withSocketAddress(target.address, port: target.port, { connect(fd, $0, $1) }) != 0 {
            return ExchangeResult(delivery: .failed("connect: \(Errno.current.message) (\(Errno.current.name))"))
        }
        let me = localEndpoint(fd)
        guard listener.ours else { return toServer(fd, from: me, port: listener.port, watch: watch, timeoutMs: timeoutMs) }
        let nonce = probeNonce()
        // Three datagrams a third of the time apart: the first may wait for ARP.
        setTimeout(listener.fd, ms: max(1, timeoutMs / 3))
        var why = "nothing arrived on plumb's socket within \(timeoutMs) ms"
        for _ in 0..<3 {
            guard write(fd, nonce) else { return ExchangeResult(delivery: .failed("send: \(Errno.current.message) (\(Errno.current.name))"), client: me) }
            var buf = [UInt8](repeating: 0, count: 64)
            var from = sockaddr_storage()
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let n = withUnsafeMutablePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(listener.fd, &buf, buf.count, 0, $0, &len) }
            }
            if n < 0 { if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { continue }; why = "recv: \(Errno.current.name)"; break }
            if Array(buf.prefix(n)) == nonce {
                return ExchangeResult(delivery: .nonce(from: endpoint(from) ?? target), client: me)
            }
        }
        return ExchangeResult(delivery: .failed(why), client: me)
    }

    /// A server holds the port: one empty datagram (the least a real service can misread),
    /// watched arriving on the server's link, then any answer. Where NAT sent it is for
    /// conntrack to say; what the server's UDP layer counted is read by the caller.
    static func toServer(_ fd: Int32, from me: Endpoint?, port: Int, watch: ArrivalWatch?, timeoutMs: Int) -> ExchangeResult {
        guard let watch, let me else {
            return ExchangeResult(delivery: .failed("a server holds port \(port) and nothing watches its link for the datagram"), client: me)
        }
        if send(fd, nil, 0, 0) < 0 { return ExchangeResult(delivery: .failed("send: \(Errno.current.name)"), client: me) }
        let seen: Bool
        do { seen = try watch.sawDatagram(port: port, sourcePort: me.port, timeoutMs: timeoutMs) } catch {
            return ExchangeResult(delivery: .failed("watching the server's link: \(error)"), client: me)
        }
        // An answer follows the arrival within a moment; after no arrival, only a stray ICMP could.
        let answer = udpAnswer(fd, timeoutMs: seen ? min(250, timeoutMs) : 1)
        return ExchangeResult(delivery: .toServer(ExchangeResult.ServerDelivery(answer: answer, seenOnLink: seen)), client: me)
    }

    /// What came back on a connected UDP socket within `timeoutMs`.
    static func udpAnswer(_ fd: Int32, timeoutMs: Int) -> ExchangeResult.ServerDelivery.Answer {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        var n: Int32
        repeat { n = poll(&p, 1, Int32(timeoutMs)) } while n < 0 && errno == EINTR
        guard n > 0 else { return .none }
        var buf = [UInt8](repeating: 0, count: 2048)
        let got = recv(fd, &buf, buf.count, Int32(MSG_DONTWAIT))
        if got >= 0 { return .datagram }
        return errno == ECONNREFUSED ? .portUnreachable : .none
    }

    /// A non-blocking connect: the SYN's own address and port are known (getsockname)
    /// as soon as it leaves, so a refused or unanswered connection can still be looked up
    /// in conntrack. Returns that endpoint and, on failure, why.
    static func connectTimed(_ fd: Int32, to target: Endpoint, timeoutMs: Int) -> (Endpoint?, String?) {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(fd, F_SETFL, flags) }
        if withSocketAddress(target.address, port: target.port, { connect(fd, $0, $1) }) == 0 { return (localEndpoint(fd), nil) }
        let e = Errno.current
        let me = localEndpoint(fd)
        guard e == .inProgress else { return (me, "connect: \(e.message) (\(e.name))") }
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        var n: Int32
        repeat { n = poll(&p, 1, Int32(timeoutMs)) } while n < 0 && errno == EINTR
        if n == 0 { return (me, "no answer to the TCP handshake within \(timeoutMs) ms") }
        var err: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
        if err != 0 { let x = Errno(rawValue: err); return (me, "connect: \(x.message) (\(x.name))") }
        return (me, nil)
    }

    static func write(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            off += n
        }
        return true
    }

    static func receive(_ fd: Int32, expecting nonce: [UInt8]) -> String? {
        var buf = [UInt8](repeating: 0, count: nonce.count)
        var got = 0
        while got < nonce.count {
            let n = buf[got...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return "the nonce never arrived (\(n < 0 ? Errno.current.name : "connection closed"))" }
            got += n
        }
        return buf == nonce ? nil : "a different payload arrived"
    }
}

func openSocket(_ proto: TransportProtocol, _ family: IPFamily) throws -> Int32 {
    try check("socket", "\(proto.rawValue)\(family == .v6 ? "6" : "")") {
        socket(family == .v6 ? AF_INET6 : AF_INET,
               Int32(proto == .tcp ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    }
}

/// The random bytes a probe carries: what arrives is ours, not a stray packet's.
func probeNonce() -> [UInt8] { (0..<Ping.nonceBytes).map { _ in UInt8.random(in: 0...255) } }

func setTimeout(_ fd: Int32, ms: Int) {
    var tv = timeval(tv_sec: ms / 1000, tv_usec: (ms % 1000) * 1000)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
}

func localEndpoint(_ fd: Int32) -> Endpoint? { socketEndpoint(fd, getsockname) }
func peerEndpoint(_ fd: Int32) -> Endpoint? { socketEndpoint(fd, getpeername) }

func socketEndpoint(_ fd: Int32, _ call: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32) -> Endpoint? {
    var ss = sockaddr_storage()
    var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let rc = withUnsafeMutablePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(fd, $0, &len) } }
    return rc == 0 ? endpoint(ss) : nil
}

func endpoint(_ ss: sockaddr_storage) -> Endpoint? {
    var ss = ss
    switch Int32(ss.ss_family) {
    case AF_INET:
        return withUnsafePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in
            let a = withUnsafeBytes(of: p.pointee.sin_addr) { Array($0) }
            return IPAddress(bytes: a).map { Endpoint($0, Int(UInt16(bigEndian: p.pointee.sin_port))) }
        } }
    case AF_INET6:
        return withUnsafePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
            let a = withUnsafeBytes(of: p.pointee.sin6_addr) { Array($0) }
            return IPAddress(bytes: a).map { Endpoint($0, Int(UInt16(bigEndian: p.pointee.sin6_port))) }
        } }
    default: return nil
    }
}
