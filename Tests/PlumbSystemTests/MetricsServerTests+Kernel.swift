import Foundation
import Glibc
import Testing
@testable import PlumbSystem
import PlumbTypes

/// Root: the server on a real socket, in an anonymous network namespace of the test's own
/// (only `lo`; nothing listens on the machine's interfaces), with clients in that namespace.
@Suite("Metrics server on a socket")
struct MetricsServerKernelTests {
    /// A fresh namespace with `lo` up; the server and every client socket are opened in it.
    final class Lab {
        let ns: NetworkNamespace
        init() throws {
            ns = try NetnsThread.runInNewNamespace { try NetworkNamespace.open(path: "/proc/thread-self/ns/net") }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
            p.arguments = ["--net=/proc/\(getpid())/fd/\(ns.fd)", "ip", "link", "set", "lo", "up"]
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw SystemError("ip link set lo up", "test netns", .invalid) }
        }

        func server(_ address: String = "127.0.0.1:0", _ text: @escaping @Sendable () -> String) throws -> MetricsServer {
            let a = try ListenAddress.parse(address).get()
            return try ns.run { try MetricsServer(address: a, text: text) }
        }

        /// Sends `request` to `address` from inside the namespace, then EOF; what came back until
        /// the server closed.
        func exchange(_ address: ListenAddress, _ request: String) throws -> String {
            let fd = try ns.run { try openSocket(.tcp, address.address.family) }
            defer { close(fd) }
            setTimeout(fd, ms: 5_000)
            try check("connect", address.description) { withSocketAddress(address.address, port: address.port) { connect(fd, $0, $1) } }
            let bytes = Array(request.utf8)
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            shutdown(fd, Int32(SHUT_WR))   // the request is all there is: EOF after it
            var out: [UInt8] = [], buf = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                out += buf[..<n]
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    @Test("GET /metrics: 200 with the 0.0.4 Content-Type and the text, each scrape calling it anew; other paths 404; garbage 400")
    func answers() throws {
        let lab = try Lab()
        let calls = Counter()
        let server = try lab.server { "scrape \(calls.next())\n" }
        try server.start()
        defer { server.stop() }
        #expect(server.address.port > 0, "port 0 means the kernel's choice, reported back")
        let first = try lab.exchange(server.address, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(first == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                + "Content-Length: 9\r\nConnection: close\r\n\r\nscrape 1\n")
        #expect(try lab.exchange(server.address, "GET /metrics?x HTTP/1.0\r\n\r\n").hasSuffix("scrape 2\n"))
        #expect(try lab.exchange(server.address, "GET / HTTP/1.1\r\n\r\n").hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(try lab.exchange(server.address, "POST /metrics HTTP/1.1\r\n\r\n").hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(try lab.exchange(server.address, "hello\r\n\r\n").hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(calls.value == 2, "only /metrics collects")
    }

    @Test("IPv6 in brackets; a client that hangs up mid-request does not stop the server")
    func ipv6AndHangup() throws {
        let lab = try Lab()
        let server = try lab.server("[::1]:0") { "ok\n" }
        try server.start()
        defer { server.stop() }
        #expect(server.address.description.hasPrefix("[::1]:"))
        _ = try lab.exchange(server.address, "GET /met")   // half a request, then EOF
        #expect(try lab.exchange(server.address, "GET /metrics HTTP/1.1\r\n\r\n").hasSuffix("\r\n\r\nok\n"))
    }

    @Test("stop: returns at once from an idle accept, the port is closed after; a busy port fails at init")
    func stopAndBusy() throws {
        let lab = try Lab()
        let server = try lab.server { "x" }
        try server.start()
        #expect(throws: SystemError.self, "the same port twice") {
            try lab.server("127.0.0.1:\(server.address.port)") { "y" }
        }
        let began = ContinuousClock.now
        server.stop()
        #expect(ContinuousClock.now - began < .seconds(1))
        let refused = #expect(throws: SystemError.self) { try lab.exchange(server.address, "GET /metrics HTTP/1.1\r\n\r\n") }
        #expect(refused?.errno == Errno(rawValue: ECONNREFUSED), "\(String(describing: refused))")
        server.stop()   // twice is fine
    }
}

/// Scrapes counted across the server's thread.
final class Counter: @unchecked Sendable {
    private var n = 0
    private let lock = NSLock()
    func next() -> Int { lock.lock(); defer { lock.unlock() }; n += 1; return n }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}
