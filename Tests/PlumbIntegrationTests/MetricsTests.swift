import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 13 "Must show" 3: `plumb metrics` and its HTTP endpoint, on the demo manifest in a
/// sandbox, pass `promtool check metrics` (Debian's prometheus package) and hold the series a
/// dashboard needs; a broken receive path shows as a failing check (`…check_ok… 0`).
@Suite("Prometheus metrics", .timeLimit(.minutes(10)))   // time waiting in Heavy's queue counts
struct MetricsTests {
    static let demo = PlumbBinary.packageRoot.appendingPathComponent("manifests/demo.yaml").path
    static let containers = ["web", "db", "cache"]

    struct Scrape: Sendable {
        var metrics: CommandResult
        var promtool: CommandResult
    }

    /// What promtool says about `text`; fails loudly when promtool is missing (CI installs it).
    static func promtool(_ sandbox: Sandbox, _ text: String) throws -> CommandResult {
        let file = sandbox.scratch.appendingPathComponent("scrape-\(UUID().uuidString.prefix(8)).prom")
        try text.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let which = try sandbox.sh("command -v promtool")
        guard which.succeeded else {
            throw SubprocessError(description: "promtool is missing: install Debian's prometheus package (scripts/install.sh does)")
        }
        return try sandbox.sh("promtool check metrics < '\(file.path)'")
    }

    /// The sample value of the series named exactly `series` (name and labels, as printed).
    static func value(_ text: String, _ series: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.map { String($0.dropFirst(series.count + 1)) }
    }

    static func probe(_ container: String) -> String {
        #"plumb_verify_check_ok{manifest="demo",container="\#(container)",interface="eth0",check="probe"}"#
    }

    @Test("after apply: promtool accepts the output, every check and the manifest are ok, drift 0, counters and RTTs per container")
    func afterApply() async throws {
        let o = try await Heavy.run { () throws -> Scrape in
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            try sandbox.mustApply(Self.demo)
            let metrics = try sandbox.plumb("metrics", Self.demo)
            return Scrape(metrics: metrics, promtool: try Self.promtool(sandbox, metrics.stdout))
        }
        let text = o.metrics.stdout
        #expect(o.metrics.status == 0, "\(o.metrics)")
        #expect(o.promtool.succeeded, "promtool check metrics:\n\(o.promtool)\n\(text)")
        #expect(Self.value(text, #"plumb_verify_ok{manifest="demo"}"#) == "1", "\(text)")
        #expect(Self.value(text, #"plumb_plan_steps{manifest="demo"}"#) == "0")
        let checks = text.split(separator: "\n").filter { $0.hasPrefix("plumb_verify_check_ok{") }
        #expect(checks.count > 30 && checks.allSatisfy { $0.hasSuffix(" 1") }, "a check failed or is missing:\n\(text)")
        #expect(Self.value(text, #"plumb_verify_check_ok{manifest="demo",interface="br0",check="bridge-present"}"#) == "1")
        for c in Self.containers {
            #expect(Self.value(text, Self.probe(c)) == "1", "\(c)")
            let labels = #"{manifest="demo",container="\#(c)",interface="eth0""#
            let rtt = Self.value(text, "plumb_probe_rtt_seconds\(labels),check=\"probe\"}").flatMap(Double.init)
            #expect(rtt.map { $0 > 0 && $0 < 1 } == true, "\(c) RTT \(String(describing: rtt))")
            // The probe's echo and ARP went through eth0: its counters moved.
            let rx = Self.value(text, "plumb_interface_receive_packets_total\(labels)}").flatMap(UInt64.init)
            #expect((rx ?? 0) > 0, "\(c) rx packets \(String(describing: rx))")
            #expect(Self.value(text, "plumb_interface_transmit_bytes_total\(labels)}").flatMap(UInt64.init).map { $0 > 0 } == true)
            #expect(Self.value(text, "plumb_interface_receive_dropped_total\(labels)}") != nil)
        }
        #expect(Self.value(text, #"plumb_watch_repairs_total{manifest="demo"}"#) == "0")
        #expect(Self.value(text, #"plumb_watch_repair_failures_total{manifest="demo"}"#) == "0")
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("plumb_softnet_dropped_total{cpu=") }.count == cpus)
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("plumb_softnet_times_squeezed_total{cpu=") }.count == cpus)
        #expect(text.contains("# TYPE plumb_interface_receive_bytes_total counter"))
    }

    struct Breakage: Sendable, CustomTestStringConvertible {
        var label: String
        var command: String
        /// Containers whose probe must now fail; the others' must still pass.
        var broken: [String]
        var testDescription: String { label }
    }

    static let breakages = [
        Breakage(label: "web's addresses flushed", command: "ip -n web addr flush dev eth0", broken: ["web"]),
        Breakage(label: "the bridge set down", command: "ip link set br0 down", broken: ["web", "db", "cache"]),
    ]

    @Test("a broken receive path shows as a failing check, verify_ok 0 and drift; untouched containers still pass",
          arguments: breakages)
    func brokenPath(_ b: Breakage) async throws {
        let o = try await Heavy.run { () throws -> Scrape in
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            try sandbox.mustApply(Self.demo)
            try sandbox.script([b.command])
            let metrics = try sandbox.plumb("metrics", Self.demo)
            return Scrape(metrics: metrics, promtool: try Self.promtool(sandbox, metrics.stdout))
        }
        let text = o.metrics.stdout
        #expect(o.metrics.status == 0, "metrics reports a failure, it does not fail:\n\(o.metrics)")
        #expect(o.promtool.succeeded, "\(o.promtool)")
        #expect(Self.value(text, #"plumb_verify_ok{manifest="demo"}"#) == "0", "\(text)")
        #expect(Self.value(text, #"plumb_plan_steps{manifest="demo"}"#).flatMap(Int.init).map { $0 > 0 } == true,
                "the plan repairs it, so drift is not 0")
        for c in Self.containers {
            let want = b.broken.contains(c) ? "0" : "1"
            #expect(Self.value(text, Self.probe(c)) == want, "\(c) probe in:\n\(text)")
        }
    }

    @Test("a directory: its valid manifests measured, an invalid one named on stderr and counted in plumb_manifests_refused; exit 0")
    func directory() async throws {
        let o = try await Heavy.run { () throws -> (Scrape, String) in
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            let dir = sandbox.scratch.appendingPathComponent("etc-plumb").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: Self.demo, toPath: "\(dir)/10-demo.yaml")
            try "version: 1\nname: bad\ncontainers:\n  - name: x\n    netns: 5\n".write(toFile: "\(dir)/20-bad.yaml", atomically: true, encoding: .utf8)
            try sandbox.mustApply("\(dir)/10-demo.yaml")
            let metrics = try sandbox.plumb("metrics", dir)
            return (Scrape(metrics: metrics, promtool: try Self.promtool(sandbox, metrics.stdout)), dir)
        }
        let (scrape, dir) = o
        let text = scrape.metrics.stdout
        #expect(scrape.metrics.status == 0, "\(scrape.metrics)")
        #expect(scrape.promtool.succeeded, "\(scrape.promtool)")
        #expect(Self.value(text, "plumb_manifests_refused") == "1", "\(text)")
        #expect(Self.value(text, #"plumb_verify_ok{manifest="demo"}"#) == "1")
        #expect(!text.contains(#"manifest="bad""#))
        #expect(scrape.metrics.stderr.contains("\(dir)/20-bad.yaml") && scrape.metrics.stderr.contains("(line 5)"), "\(scrape.metrics)")
        #expect(text.contains("# plumb: \(dir)/20-bad.yaml"), "the refusal is a comment too:\n\(text)")
    }

    struct Served: Sendable {
        var printed: CommandResult
        var headers: String
        var body: String
        var curl: CommandResult
        var notFound: CommandResult
        var promtool: CommandResult
        var exit: Int32
        var stderr: String
    }

    @Test("--listen serves the same series over HTTP: 200 with the 0.0.4 Content-Type, promtool-clean; 404 elsewhere; SIGTERM ends it with 0")
    func served() async throws {
        let o = try await Heavy.run { () throws -> Served in
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            try sandbox.mustApply(Self.demo)
            // Counters the watcher would have written: the endpoint must export them.
            try sandbox.script([
                "mkdir -p /run/plumb",
                #"printf '{"manifests":{"demo":{"repairs":4,"failedRepairs":1,"lastRepair":"2026-01-02T03:04:05Z"}}}' > /run/plumb/.watch-counters.json"#,
            ])
            let printed = try sandbox.plumb("metrics", Self.demo)
            let server = try sandbox.start(["metrics", Self.demo, "--listen", "127.0.0.1:9469"])
            defer { server.stop() }
            let ready = eventually(within: .seconds(20)) {
                (try? sandbox.run(["curl", "-sS", "-o", "/dev/null", "http://127.0.0.1:9469/"]))?.succeeded == true
            }
            guard ready else { throw SubprocessError(description: "the server never answered:\n\(server.finish())") }
            let head = sandbox.scratch.appendingPathComponent("headers").path
            let curl = try sandbox.run(["curl", "-sS", "--max-time", "60", "-D", head, "http://127.0.0.1:9469/metrics"], timeout: .seconds(70))
            let notFound = try sandbox.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:9469/other"])
            let ended = server.terminate()
            return Served(printed: printed, headers: (try? String(contentsOfFile: head, encoding: .utf8)) ?? "", body: curl.stdout,
                          curl: curl, notFound: notFound, promtool: try Self.promtool(sandbox, curl.stdout),
                          exit: ended.status, stderr: ended.stderr)
        }
        #expect(o.curl.succeeded, "\(o.curl)")
        #expect(o.headers.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(o.headers)")
        #expect(o.headers.lowercased().contains("content-type: text/plain; version=0.0.4"), "\(o.headers)")
        #expect(o.promtool.succeeded, "\(o.promtool)\n\(o.body)")
        #expect(o.notFound.stdout == "404", "\(o.notFound)")
        #expect(o.exit == 0, "after SIGTERM: exit \(o.exit)\n\(o.stderr)")
        #expect(o.stderr.contains("serving metrics on http://127.0.0.1:9469/metrics"), "\(o.stderr)")
        // The same series as the printed output (values move between two scrapes).
        func series(_ t: String) -> [String] {
            t.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { String($0.prefix { $0 != " " }) }
        }
        #expect(series(o.body) == series(o.printed.stdout))
        #expect(Self.value(o.body, #"plumb_verify_ok{manifest="demo"}"#) == "1", "\(o.body)")
        #expect(Self.value(o.body, #"plumb_watch_repairs_total{manifest="demo"}"#) == "4")
        #expect(Self.value(o.body, #"plumb_watch_repair_failures_total{manifest="demo"}"#) == "1")
        #expect(Self.value(o.body, #"plumb_watch_last_repair_timestamp_seconds{manifest="demo"}"#) == "1767323045.0")
    }
}

/// A `plumb` running in the background inside a sandbox, owned by its PID.
final class BackgroundPlumb: @unchecked Sendable {
    let pid: pid_t
    let out: String, err: String
    private var done: (status: Int32, stderr: String)?

    init(pid: pid_t, out: String, err: String) { self.pid = pid; self.out = out; self.err = err }

    /// SIGTERM, then reaps it (SIGKILL after 30 s): its exit status and stderr.
    @discardableResult
    func terminate() -> (status: Int32, stderr: String) {
        if let done { return done }
        Glibc.kill(pid, SIGTERM)
        return finish()
    }

    /// Reaps it (SIGKILL after 30 s) and removes its output files.
    @discardableResult
    func finish() -> (status: Int32, stderr: String) {
        if let done { return done }
        let (status, _) = Subprocess.wait(pid, timeout: .seconds(30))
        let stderr = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: out)
        try? FileManager.default.removeItem(atPath: err)
        done = (status, stderr)
        return (status, stderr)
    }

    /// For a test that failed before `terminate`: it must not outlive the test.
    func stop() {
        guard done == nil else { return }
        Glibc.kill(pid, SIGKILL)
        finish()
    }
}

extension Sandbox {
    /// Starts `plumb ARGS…` inside without waiting. nsenter without --fork execs the command:
    /// the PID is plumb's own, the one the test signals.
    func start(_ args: [String]) throws -> BackgroundPlumb {
        let binary = try PlumbBinary.path()
        let base = scratch.appendingPathComponent("bg-\(UUID().uuidString.prefix(8))").path
        let pid = try Subprocess.spawn(["nsenter", "--target", String(holderPID), "--net", "--mount", "--", binary] + args,
                                       stdoutPath: base + ".out", stderrPath: base + ".err")
        return BackgroundPlumb(pid: pid, out: base + ".out", err: base + ".err")
    }
}
