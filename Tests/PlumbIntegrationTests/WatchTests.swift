import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 13 "Must show 2": with `plumb watch` running, each disruption is repaired and
/// re-verified within 1 s (measured and printed); foreign objects created meanwhile are left
/// alone; idle, the watcher uses no CPU to speak of and makes no netlink requests.
@Suite("plumb watch", .timeLimit(.minutes(10)))   // the latency test first waits for every other heavy test to finish
struct WatchTests {
    static let manifest = """
        version: 1
        name: watched
        bridges:
          - name: wbr0
            addresses: [10.66.0.1/24]
            nat: {masquerade: true}
        containers:
          - name: web
            netns: wweb
            interfaces:
              - {name: eth0, veth: {bridge: wbr0, hostName: wweb-eth0}, addresses: [10.66.0.2/24]}
            routes:
              - {to: 10.99.0.0/16, via: 10.66.0.1}
              - {to: default, via: 10.66.0.1}
            ports:
              - {host: 8080, container: 80, protocol: tcp}
        """

    @Test("each disruption is repaired and verified within 1 s; foreign objects survive; idle costs nothing")
    func repairsEachDisruption() async throws {
        try await Heavy.exclusive {
            let sandbox = try Sandbox()
            let watch = try Watch(sandbox, manifest: Self.manifest)
            defer { watch.stop() }
            try watch.awaitLog("repaired watched", count: 1)

            let disruptions: [(String, String)] = [
                ("nft flush ruleset", "nft flush ruleset"),
                ("ip link del of a host veth", "ip link del wweb-eth0"),
                ("a container interface set down", "ip -n wweb link set eth0 down"),
                ("a container address removed", "ip -n wweb addr del 10.66.0.2/24 dev eth0"),
                ("a route deleted", "ip -n wweb route del 10.99.0.0/16"),
            ]
            var repairs = 1
            for (what, command) in disruptions {
                let started = ContinuousClock.now
                try sandbox.must(["/bin/sh", "-c", command])
                repairs += 1
                try watch.awaitLog("repaired watched", count: repairs, within: .seconds(5))
                let took = started.duration(to: .now)
                let own = watch.lines("repaired watched").last?.split(separator: " ").dropFirst(5).first ?? "?"
                print("watch: \(what): repaired and verified \(Int(took / .milliseconds(1))) ms after the change (the watcher's own pass: \(own) ms)")
                #expect(took < .seconds(1), "\(what): repair took \(took)\n\(watch.log())")
                #expect(watch.lines("repaired watched").last?.hasSuffix("verify OK") == true, "\(watch.log())")
                let verify = try sandbox.plumb("verify", watch.directory)
                #expect(verify.status == 0, "after \(what):\n\(verify)")
            }
            #expect(try sandbox.nftTables().contains { $0.hasPrefix("inet plumb_watched_") })

            // Foreign objects: seen as events, planned over, left alone.
            try sandbox.must(["ip", "link", "add", "foreign0", "type", "bridge"])
            try sandbox.must(["nft", "add", "table", "ip", "foreigntab"])
            Thread.sleep(forTimeInterval: 0.5)
            #expect(try sandbox.links().contains("foreign0"))
            #expect(try sandbox.nftTables().contains("ip foreigntab"))
            #expect(watch.lines("repaired watched").count == repairs, "a foreign change is no repair\n\(watch.log())")

            // Idle: no CPU to speak of and no netlink request over 10 s (strace counts the
            // requests sent), once the kernel's late notices of the last change (the verify's
            // outside namespace dying) have passed: 2 s without an event in the verbose log.
            try watch.awaitQuiet(for: .seconds(3))
            let before = try watch.cpuTicks()
            let trace = try sandbox.run(["timeout", "10", "strace", "-f", "-qq", "-e", "trace=sendto,sendmsg",
                                         "-p", String(watch.pid)], timeout: .seconds(20))
            let ticks = try watch.cpuTicks() - before
            let calls = trace.stderr.split(separator: "\n").filter { $0.contains("send") }
            print("watch: idle 10 s: \(ticks) CPU ticks (1/100 s), \(calls.count) netlink calls")
            #expect(ticks < 10, "over 1% of a CPU while idle: \(ticks) ticks in 10 s")
            #expect(calls.isEmpty, "netlink traffic while nothing changed:\n\(calls.prefix(3).map { $0.prefix(300) }.joined(separator: "\n"))\n\(watch.log().suffix(1500))")

            #expect(watch.stop() == 0, "SIGTERM ends the watcher with 0\n\(watch.log())")
            #expect(watch.log().contains("stopping (signal)"))
            #expect(try sandbox.plumb("destroy", watch.directory).status == 0)
            #expect(try sandbox.links().contains("foreign0"))
        }
    }

    @Test("a deleted named namespace is recreated; --report-only only reports")
    func namespaceAndReportOnly() async throws {
        try await Heavy.run {
            let sandbox = try Sandbox()
            let watch = try Watch(sandbox, manifest: Self.manifest)
            try watch.awaitLog("repaired watched", count: 1)
            try sandbox.must(["ip", "netns", "del", "wweb"])
            try watch.awaitLog("repaired watched", count: 2, within: .seconds(5))
            #expect(try sandbox.netnsList().contains("wweb"))
            #expect(try sandbox.plumb("verify", watch.directory).status == 0)
            #expect(watch.stop() == 0)

            let reporter = try Watch(sandbox, manifest: Self.manifest, arguments: ["--report-only"])
            defer { reporter.stop() }
            try reporter.awaitLog("ready: 1 converged, 0 drifted (report only)", count: 1)
            try sandbox.must(["ip", "-n", "wweb", "link", "set", "eth0", "down"])
            try reporter.awaitLog("drift in watched", count: 1, within: .seconds(5))
            #expect(reporter.lines("drift in watched").first?.contains("ip -n wweb link set dev eth0 up") == true, "\(reporter.log())")
            Thread.sleep(forTimeInterval: 0.3)
            let state = try sandbox.run(["ip", "-n", "wweb", "-br", "link", "show", "eth0"])
            #expect(state.stdout.contains("DOWN"), "report-only changed the kernel: \(state)")
            #expect(reporter.lines("repaired").isEmpty)
            reporter.stop()
            _ = try sandbox.plumb("destroy", reporter.directory)
        }
    }

    @Test("the watcher's metrics endpoint passes promtool; a broken path (report-only) shows as a failing check, repairs are counted")
    func metricsEndpoint() async throws {
        try await Heavy.run {
            let sandbox = try Sandbox()
            let watch = try Watch(sandbox, manifest: Self.manifest)
            try watch.awaitLog("ready: 1 converged", count: 1)
            #expect(watch.log().contains("serving metrics on http://127.0.0.1:9469/metrics"), "\(watch.log())")
            let first = try Self.scrape(sandbox)
            let lint = try MetricsTests.promtool(sandbox, first)
            #expect(lint.succeeded, "promtool on the watcher's endpoint:\n\(lint)\n\(first)")
            #expect(MetricsTests.value(first, "plumb_verify_ok{manifest=\"watched\"}") == "1", "\(first)")
            #expect(MetricsTests.value(first, "plumb_watch_repairs_total{manifest=\"watched\"}") == "1", "the start's apply is a repair\n\(first)")
            #expect(watch.stop() == 0)

            let reporter = try Watch(sandbox, manifest: Self.manifest, arguments: ["--report-only"])
            defer { reporter.stop() }
            try reporter.awaitLog("ready: 1 converged, 0 drifted (report only)", count: 1)
            try sandbox.must(["ip", "-n", "wweb", "addr", "flush", "dev", "eth0"])
            try reporter.awaitLog("drift in watched", count: 1, within: .seconds(5))
            try reporter.awaitLog("verify FAILED", count: 1, within: .seconds(10))
            let broken = try Self.scrape(sandbox)
            #expect(try MetricsTests.promtool(sandbox, broken).succeeded)
            #expect(MetricsTests.value(broken, "plumb_verify_ok{manifest=\"watched\"}") == "0", "\(broken)")
            #expect(broken.split(separator: "\n").contains { $0.hasPrefix("plumb_verify_check_ok{") && $0.contains("check=\"probe\"") && $0.hasSuffix(" 0") },
                    "the probe shows as a failing check:\n\(broken)")
            #expect(MetricsTests.value(broken, "plumb_plan_steps{manifest=\"watched\"}").map { Int($0) ?? 0 > 0 } == true, "\(broken)")
            #expect(reporter.lines("drift in watched").count == 1, "one drift is said once\n\(reporter.log())")
            reporter.stop()
            _ = try sandbox.plumb("destroy", reporter.directory)
        }
    }

    static func scrape(_ sandbox: Sandbox) throws -> String {
        let r = try sandbox.run(["curl", "-sS", "--max-time", "30", "http://127.0.0.1:9469/metrics"], timeout: .seconds(40))
        guard r.succeeded else { throw SubprocessError(description: "scrape failed:\n\(r)") }
        return r.stdout
    }

    @Test("a repair that keeps failing backs off instead of flooding; it succeeds once the obstacle is gone; SIGHUP re-reads")
    func backoffAndReload() async throws {
        try await Heavy.run {
            let sandbox = try Sandbox()
            let watch = try Watch(sandbox, manifest: Self.manifest)
            defer { watch.stop() }
            try watch.awaitLog("repaired watched", count: 1)
            // A foreign namespace takes the container's name: the plan refuses to touch it.
            try watch.awaitQuiet(for: .seconds(1))
            try sandbox.must(["/bin/sh", "-c", "ip netns del wweb && ip netns add wweb"])
            Thread.sleep(forTimeInterval: 3.5)
            let failures = watch.lines("repair of watched")
            #expect((1...3).contains(failures.count), "1 s then 2 s backoff: at most 3 tries in 3.5 s, saw \(failures.count)\n\(watch.log())")
            #expect(failures.first?.contains("next attempt in 1 s") == true, "\(watch.log())")
            #expect(failures.dropFirst().first.map { $0.contains("next attempt in 2 s") } ?? true, "\(watch.log())")
            #expect(try sandbox.run(["ip", "-n", "wweb", "-br", "link"]).stdout.split(separator: "\n").count == 1,
                    "the foreign namespace is untouched (only its lo)")
            try sandbox.must(["ip", "netns", "del", "wweb"])
            try watch.awaitLog("repaired watched", count: 2, within: .seconds(6))
            #expect(try sandbox.plumb("verify", watch.directory).status == 0)

            // SIGHUP: an edited manifest (a second route) is read and applied.
            let edited = Self.manifest.replacingOccurrences(of: "      - {to: default, via: 10.66.0.1}",
                                                            with: "      - {to: default, via: 10.66.0.1}\n      - {to: 10.98.0.0/16, via: 10.66.0.1}")
            try edited.write(toFile: "\(watch.directory)/watched.yaml", atomically: true, encoding: .utf8)
            kill(watch.pid, SIGHUP)
            try watch.awaitLog("repaired watched", count: 3, within: .seconds(5))
            #expect(watch.log().contains("reloading manifests (SIGHUP)"))
            #expect(try sandbox.routes(netns: "wweb").contains { $0.dst == "10.98.0.0/16" })
            watch.stop()
            _ = try sandbox.plumb("destroy", watch.directory)
        }
    }
}

/// A `plumb watch` running in a sandbox: our child, ended by its PID.
final class Watch {
    let pid: pid_t
    let directory: String
    let logPath: String
    private var stopped: Int32?

    init(_ sandbox: Sandbox, manifest: String, arguments: [String] = []) throws {
        directory = sandbox.scratch.appendingPathComponent("watch-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try manifest.write(toFile: "\(directory)/watched.yaml", atomically: true, encoding: .utf8)
        logPath = "\(directory).log"
        // nsenter without --fork execs plumb in place: the PID we hold is the watcher's.
        pid = try Subprocess.spawn(["nsenter", "--target", String(sandbox.holderPID), "--net", "--mount", "--",
                                    try PlumbBinary.path(), "watch", "--verbose", directory] + arguments,
                                   stdoutPath: "\(directory).out", stderrPath: logPath)
    }

    func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
    func lines(_ containing: String) -> [String] { log().split(separator: "\n").map(String.init).filter { $0.contains(containing) } }

    /// Waits until the log has `count` lines containing `text`; throws with the log if not.
    func awaitLog(_ text: String, count: Int, within timeout: Duration = .seconds(15)) throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while lines(text).count < count {
            guard ContinuousClock.now < deadline else {
                throw SubprocessError(description: "no \(count)× \"\(text)\" within \(timeout):\n\(log())")
            }
            Thread.sleep(forTimeInterval: 0.005)
        }
    }

    /// Waits until the log has not grown for `quiet` (at most 15 s).
    func awaitQuiet(for quiet: Duration) throws {
        let deadline = ContinuousClock.now.advanced(by: .seconds(15))
        var size = log().utf8.count, since = ContinuousClock.now
        while since.duration(to: .now) < quiet {
            guard ContinuousClock.now < deadline else { throw SubprocessError(description: "the watcher never went quiet:\n\(log())") }
            Thread.sleep(forTimeInterval: 0.1)
            let now = log().utf8.count
            if now != size { size = now; since = .now }
        }
    }

    /// utime + stime of the watcher, in clock ticks (/proc/PID/stat fields 14 and 15).
    func cpuTicks() throws -> Int {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat[stat.range(of: ")")!.upperBound...].split(separator: " ")
        return Int(fields[11])! + Int(fields[12])!
    }

    /// SIGTERM, then the exit status (SIGKILL after 5 s). Idempotent.
    @discardableResult
    func stop() -> Int32 {
        if let stopped { return stopped }
        kill(pid, SIGTERM)
        var (status, timedOut) = Subprocess.wait(pid, timeout: .seconds(5))
        if timedOut { kill(pid, SIGKILL); (status, timedOut) = Subprocess.wait(pid, timeout: .seconds(5)) }
        stopped = timedOut ? -1 : status
        return stopped!
    }
}
