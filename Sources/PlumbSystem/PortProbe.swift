import Glibc

/// Active checks of a port forward: a connection (TCP) or datagram (UDP) sent in
/// the host namespace to a local address and port must arrive inside the
/// container, on a socket opened in the container's namespace.
public enum PortProbe {
    /// A socket opened inside the container's namespace (create it on a thread
    /// in that namespace); it stays bound there for life.
    public final class Listener {
        public let fd: Int32
        /// False when the port was already taken: a real server is there.
        public let ours: Bool
        init(fd: Int32, ours: Bool) { self.fd = fd; self.ours = ours }
        deinit { if fd >= 0 { close(fd) } }
    }

    /// Binds 0.0.0.0:port (TCP listens). EADDRINUSE → `ours == false`.
    public static func listen(tcp: Bool, port: Int) throws -> Listener {
        let fd = try check("socket", tcp ? "TCP" : "UDP") {
            socket(AF_INET, Int32(tcp ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var a = sockaddr_in(port: port, address: [0, 0, 0, 0])
        let rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        if rc != 0 {
            let e = errno
            close(fd)
            if e == EADDRINUSE { return Listener(fd: -1, ours: false) }
            throw SystemError("bind", "0.0.0.0:\(port)", Errno(rawValue: e))
        }
        if tcp { try check("listen", "0.0.0.0:\(port)") { Glibc.listen(fd, 4) } }
        setTimeout(fd, ms: 1000)
        return Listener(fd: fd, ours: true)
    }

    /// TCP: connects from the calling thread's namespace to `address:port`, and when
    /// the listener is ours, accepts inside the container and reads the nonce.
    /// Returns nil on success, else why it failed.
    public static func tcp(to address: [UInt8], port: Int, listener: Listener) -> String? {
        guard let fd = try? check("socket", "TCP", { socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }) else {
            return "socket: \(Errno.current.name)"
        }
        defer { close(fd) }
        setTimeout(fd, ms: 1000)
        var a = sockaddr_in(port: port, address: address)
        let rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        if rc != 0 { return "connect: \(Errno.current.message) (\(Errno.current.name))" }
        guard listener.ours else { return nil }   // a real server answered the handshake
        let nonce = (0..<8).map { _ in UInt8.random(in: 0...255) }
        _ = nonce.withUnsafeBytes { send(fd, $0.baseAddress, 8, 0) }
        let conn = accept(listener.fd, nil, nil)
        if conn < 0 { return "accept inside the container: \(Errno.current.name)" }
        defer { close(conn) }
        setTimeout(conn, ms: 1000)
        return receive(conn, nonce)
    }

    /// UDP: sends a nonce datagram to `address:port`; it must arrive on the listener.
    public static func udp(to address: [UInt8], port: Int, listener: Listener) -> String? {
        guard listener.ours else { return "port in use inside the container: cannot receive the probe datagram" }
        guard let fd = try? check("socket", "UDP", { socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }) else {
            return "socket: \(Errno.current.name)"
        }
        defer { close(fd) }
        var a = sockaddr_in(port: port, address: address)
        let nonce = (0..<8).map { _ in UInt8.random(in: 0...255) }
        let n = nonce.withUnsafeBytes { p in withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            sendto(fd, p.baseAddress, 8, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } }
        if n < 0 { return "sendto: \(Errno.current.message) (\(Errno.current.name))" }
        return receive(listener.fd, nonce)
    }

    static func receive(_ fd: Int32, _ nonce: [UInt8]) -> String? {
        var buf = [UInt8](repeating: 0, count: 64)
        let n = recv(fd, &buf, buf.count, 0)
        if n < 0 { return "nothing arrived inside the container (\(Errno.current.name))" }
        return Array(buf.prefix(n)) == nonce ? nil : "a different payload arrived"
    }

    static func setTimeout(_ fd: Int32, ms: Int) {
        var tv = timeval(tv_sec: ms / 1000, tv_usec: (ms % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }
}

extension sockaddr_in {
    init(port: Int, address: [UInt8]) {
        self.init()
        sin_family = sa_family_t(AF_INET)
        sin_port = UInt16(port).bigEndian
        withUnsafeMutableBytes(of: &sin_addr) { $0.copyBytes(from: address) }
    }
}
