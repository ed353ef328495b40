import Glibc
import PlumbTypes

/// A minimal HTTP/1.1 server for Prometheus scrapes: one thread accepts and answers
/// each connection in turn (a scrape is rare and small; no client can hold the others
/// long: every read and write has a timeout), `GET /metrics` gets `text()` with the
/// exposition Content-Type, any other path 404, and every connection is closed after
/// its answer. No dependency: POSIX sockets. The caller starts and stops it.
public final class MetricsServer: @unchecked Sendable {
    /// Where it listens (the port the kernel chose, when asked for port 0).
    public let address: ListenAddress
    private let listener: Int32
    private let text: @Sendable () -> String
    private var thread: pthread_t?
    /// Guards `thread` and `stopping` between the caller's start/stop and the accept loop.
    /// Allocated, not a stored struct: a pthread mutex must not move, and `&property`
    /// promises no stable address.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }()
    private var stopping = false

    /// Prometheus' text exposition format, version 0.0.4.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
    static let ioTimeoutMs = 5_000
    static let maxRequestBytes = 16 << 10

    /// Binds and listens now (so a busy port fails here, at start-up); serves after `start`.
    /// `text` is called on the server's thread, once per scrape.
    public init(address: ListenAddress, text: @escaping @Sendable () -> String) throws {
        let fd = try openSocket(.tcp, address.address.family)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if address.address.family == .v6 {   // [::]:P means IPv6 only, as written
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        do {
            try check("bind", address.description) { withSocketAddress(address.address, port: address.port) { bind(fd, $0, $1) } }
            try check("listen", address.description) { listen(fd, 64) }
        } catch {
            close(fd)
            throw error
        }
        listener = fd
        self.address = ListenAddress(address.address, port: localEndpoint(fd)?.port ?? address.port)
        self.text = text
    }

    deinit {
        stop()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Starts the accepting thread (once).
    public func start() throws {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard thread == nil, !stopping else { return }
        let unmanaged = Unmanaged.passRetained(self)
        var t = pthread_t()
        let rc = pthread_create(&t, nil, { arg in
            let server = Unmanaged<MetricsServer>.fromOpaque(arg!).takeRetainedValue()
            server.acceptLoop()
            return nil
        }, unmanaged.toOpaque())
        guard rc == 0 else {
            unmanaged.release()
            throw SystemError("pthread_create", "metrics server", Errno(rawValue: rc))
        }
        thread = t
    }

    /// Stops accepting, waits for the thread (it finishes the connection in hand) and
    /// closes the socket. Idempotent.
    public func stop() {
        pthread_mutex_lock(mutex)
        let wasStopping = stopping
        stopping = true
        let t = thread
        thread = nil
        pthread_mutex_unlock(mutex)
        guard !wasStopping else { return }
        // shutdown wakes a blocked accept (EINVAL); closing alone would not.
        shutdown(listener, Int32(SHUT_RDWR))
        // The last reference may go on the server's own thread: it cannot join itself.
        if let t, pthread_equal(t, pthread_self()) == 0 { pthread_join(t, nil) }
        close(listener)
    }

    private var isStopping: Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return stopping
    }

    private func acceptLoop() {
        while true {
            // accept4 is hidden from Swift (GNU); the flag right after keeps the
            // connection out of any program a scrape's collection might spawn.
            let conn = accept(listener, nil, nil)
            if conn < 0 {
                let e = errno
                if isStopping { return }
                // A client gone before we took it: keep serving; short of descriptors or
                // memory: keep serving after a pause; anything else: the socket is broken.
                if e == EINTR || e == ECONNABORTED { continue }
                if e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM { usleep(100_000); continue }
                return
            }
            _ = fcntl(conn, F_SETFD, FD_CLOEXEC)
            serve(conn)
            close(conn)
        }
    }

    private func serve(_ fd: Int32) {
        setTimeout(fd, ms: Self.ioTimeoutMs)
        guard let head = readHead(fd) else { return }
        let response: HTTPResponse
        switch HTTPRequestLine(head) {
        case nil: response = HTTPResponse(status: "400 Bad Request", body: "bad request\n")
        case let r? where r.method == "GET" && r.path == "/metrics":
            response = HTTPResponse(status: "200 OK", contentType: Self.contentType, body: text())
        case _?: response = HTTPResponse(status: "404 Not Found", body: "not found: try /metrics\n")
        }
        writeAll(fd, response.bytes)
    }

    /// The request up to its blank line (a GET has no body), nil when the client sent
    /// none in time or more than a request should be.
    private func readHead(_ fd: Int32) -> [UInt8]? {
        var buf: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while buf.count < Self.maxRequestBytes {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return buf.isEmpty ? nil : buf }
            buf += chunk[..<n]
            if HTTPRequestLine.endsHead(buf) { return buf }
        }
        return buf
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            // MSG_NOSIGNAL: a client that hung up must not kill the process with SIGPIPE.
            let n = bytes[off...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            off += n
        }
    }
}

/// `METHOD TARGET HTTP/x.y` — what a scrape's first line says; the query is not the path.
struct HTTPRequestLine {
    var method: String
    var path: String

    init?(_ head: [UInt8]) {
        guard let end = head.firstIndex(of: UInt8(ascii: "\r")) ?? head.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let parts = String(decoding: head[..<end], as: UTF8.self).split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1."), parts[1].hasPrefix("/") else { return nil }
        method = String(parts[0])
        path = String(parts[1].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0])
    }

    /// Whether the bytes hold the blank line that ends a request's head (CRLF CRLF, or
    /// bare LF LF from a lenient client).
    static func endsHead(_ b: [UInt8]) -> Bool {
        let crlf: [UInt8] = [13, 10, 13, 10], lf: [UInt8] = [10, 10]
        for i in b.indices {
            if b[i...].starts(with: crlf) || b[i...].starts(with: lf) { return true }
        }
        return false
    }
}

struct HTTPResponse {
    var status: String
    var contentType = "text/plain; charset=utf-8"
    var body: String

    var bytes: [UInt8] {
        let b = Array(body.utf8)
        let head = "HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(b.count)\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + b
    }
}
