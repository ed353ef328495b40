import Testing
@testable import PlumbSystem
import PlumbTypes

/// What the metrics server accepts as an address and as a request (pure parts; serving is
/// tested as root, in a sandbox, by MetricsTests of the integration suite).
@Suite("Metrics server parsing")
struct MetricsServerParsingTests {
    @Test("ADDR:PORT for IPv4, [ADDR]:PORT for IPv6")
    func addresses() throws {
        #expect(try ListenAddress.parse("127.0.0.1:9469").get() == ListenAddress(IPAddress("127.0.0.1")!, port: 9469))
        #expect(try ListenAddress.parse("[::1]:9469").get() == ListenAddress(IPAddress("::1")!, port: 9469))
        #expect(try ListenAddress.parse("[::]:0").get().description == "[::]:0")
        for bad in ["::1:9469", "[127.0.0.1]:1", "localhost:9469", "127.0.0.1", "127.0.0.1:65536", "127.0.0.1:x", ":9469", "[::1]"] {
            #expect(throws: ListenAddressError.self, "\(bad)") { try ListenAddress.parse(bad).get() }
        }
    }

    @Test("the request line: method and path, the query left out; anything else is no request")
    func requestLine() {
        let get = HTTPRequestLine(Array("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        #expect(get?.method == "GET" && get?.path == "/metrics")
        #expect(HTTPRequestLine(Array("POST / HTTP/1.0\r\n\r\n".utf8))?.path == "/")
        #expect(HTTPRequestLine(Array("GET /metrics\r\n\r\n".utf8)) == nil)
        #expect(HTTPRequestLine(Array("GET metrics HTTP/1.1\r\n\r\n".utf8)) == nil)
        #expect(HTTPRequestLine(Array("garbage".utf8)) == nil)
        #expect(HTTPRequestLine.endsHead(Array("GET / HTTP/1.1\r\nA: b\r\n\r\n".utf8)))
        #expect(!HTTPRequestLine.endsHead(Array("GET / HTTP/1.1\r\nA: b\r\n".utf8)))
    }

    @Test("a response says its length and closes")
    func response() {
        let r = String(decoding: HTTPResponse(status: "200 OK", contentType: "text/plain; version=0.0.4", body: "é\n").bytes, as: UTF8.self)
        #expect(r == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: 3\r\nConnection: close\r\n\r\né\n")
    }
}
