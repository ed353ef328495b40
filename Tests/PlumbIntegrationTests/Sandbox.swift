import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A private network + mount namespace for one test, as a user's own machine would look:
/// only `lo` (up), an empty tmpfs on /run (so /run/netns and /run/plumb are its own), and the
/// host's files otherwise. Everything a test does happens in here via `nsenter`; nothing
/// touches the machine's real interfaces. Killing the one process that holds the namespaces
/// makes them — and every netns, link and route created inside — vanish.
///
/// Equivalent to: `setpriv --pdeathsig KILL -- unshare --net --mount --propagation private
/// --fork --kill-child -- /bin/sh -c 'mount -t tmpfs … /run && ip link set lo up && echo ready $$ && exec sleep 600'`
/// then `nsenter --target PID --net --mount -- CMD…` per command.
final class Sandbox {
    /// The `unshare` process (setpriv execs into it): our child, killed and reaped at teardown.
    /// `--kill-child` makes the kernel SIGKILL its child (the namespace holder) when it dies.
    let pid: pid_t
    /// The shell that mounted /run and became `sleep 600`: the `nsenter --target`.
    let holderPID: pid_t
    /// A host directory for manifests and command output; visible inside (same filesystem).
    let scratch: URL
    private var closed = false

    init() throws {
        guard geteuid() == 0 else {
            throw SubprocessError(description: """
                PlumbIntegrationTests must run as root (they create network namespaces); \
                CI runs them as root. Run: sudo swift test --filter PlumbIntegrationTests
                """)
        }
        scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("plumb-itest-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)

        // stdout goes to a file, not a pipe: a pipe's write end could leak into a concurrent
        // test's child (Glibc hides pipe2/O_CLOEXEC), and a file needs no reader.
        let script = "mount -t tmpfs -o mode=0755 tmpfs /run && ip link set lo up && echo ready $$ && exec sleep 600"
        let outPath = scratch.appendingPathComponent("sandbox.out").path
        let errPath = scratch.appendingPathComponent("sandbox.err").path
        // setpriv --pdeathsig: if the test runner dies (crash, CI timeout) the kernel kills
        // unshare, and --kill-child then the holder, so no sandbox outlives its run. The
        // signal follows the spawning *thread*; a sync test stays on one thread throughout.
        let spawned = try Subprocess.spawn(
            ["setpriv", "--pdeathsig", "KILL", "--",
             "unshare", "--net", "--mount", "--propagation", "private", "--fork", "--kill-child",
             "--", "/bin/sh", "-c", script],
            stdoutPath: outPath, stderrPath: errPath)
        guard let holder = Sandbox.awaitReady(outPath, process: spawned, timeout: .seconds(15)) else {
            let why = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            throw SubprocessError(description: "sandbox did not become ready: \(why)")
        }
        pid = spawned
        holderPID = holder
    }

    deinit { close() }

    /// Kills exactly this sandbox's `unshare` (SIGKILL) and reaps it; the namespaces go with it.
    func close() {
        guard !closed else { return }
        closed = true
        kill(pid, SIGKILL)
        _ = Subprocess.wait(pid, timeout: .seconds(10))
        try? FileManager.default.removeItem(at: scratch)
    }

    // MARK: Running commands inside

    /// Runs `argv` inside the sandbox's network and mount namespaces.
    func run(_ argv: [String], environment: [String: String] = [:],
             timeout: Duration = .seconds(30)) throws -> CommandResult {
        var result = try Subprocess.run(
            ["nsenter", "--target", String(holderPID), "--net", "--mount", "--"] + argv,
            environment: environment, timeout: timeout, scratch: scratch)
        result.argv = argv
        return result
    }

    /// Runs a shell command line inside (`/bin/sh -c CMD`).
    func sh(_ command: String, timeout: Duration = .seconds(30)) throws -> CommandResult {
        var result = try run(["/bin/sh", "-c", command], timeout: timeout)
        result.argv = [command]
        return result
    }

    /// Writes an executable script: the text goes to a data file in-process, the script is
    /// made from it by `cp` and `chmod` in a child. Written in-process, the script itself
    /// would fail to exec with ETXTBSY while any child another test spawned at that moment
    /// holds the inherited write descriptor (seen: "posix_spawn …: Text file busy").
    func writeExecutable(_ text: String, to path: String) throws {
        try text.write(toFile: path + ".text", atomically: true, encoding: .utf8)
        try must(["/bin/sh", "-c", "cp \"$0\" \"$1\" && chmod 755 \"$1\"", path + ".text", path])
    }

    /// Runs a command that must succeed (test setup, queries); throws with its output if not.
    @discardableResult
    func must(_ argv: [String], timeout: Duration = .seconds(30)) throws -> CommandResult {
        let result = try run(argv, timeout: timeout)
        guard result.succeeded else { throw SubprocessError(description: "setup step failed:\n\(result)") }
        return result
    }

    /// Runs the `plumb` under test inside the sandbox.
    func plumb(_ args: String..., environment: [String: String] = [:],
               timeout: Duration = .seconds(120)) throws -> CommandResult {
        let binary = try PlumbBinary.path()
        var result = try run([binary] + args, environment: environment, timeout: timeout)
        result.argv = ["plumb"] + args
        return result
    }

    /// Writes a manifest where the sandbox can read it (its mount ns shares the host's /tmp).
    func writeManifest(_ text: String, fileName: String = "manifest.yaml") throws -> String {
        let url = scratch.appendingPathComponent(fileName)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    // MARK: Observing the kernel the way a user would (iproute2)

    /// Interface names, in ifindex order: `ip [-n NETNS] -j link show [master BRIDGE]`.
    func links(netns: String? = nil, master: String? = nil) throws -> [String] {
        try linkObjects(netns: netns, master: master).compactMap { $0["ifname"] as? String }
    }

    /// The raw `ip -j link show` objects (ifindex, operstate, master, …).
    func linkObjects(netns: String? = nil, master: String? = nil) throws -> [[String: Any]] {
        var argv = ip(netns) + ["-j", "link", "show"]
        if let master { argv += ["master", master] }
        return try jsonArray(must(argv).stdout)
    }

    /// `ip [-n NETNS] -j addr show [dev DEV]` as "address/prefixlen" strings (IPv4 and IPv6).
    func addresses(netns: String? = nil, dev: String? = nil) throws -> [String] {
        var argv = ip(netns) + ["-j", "addr", "show"]
        if let dev { argv += ["dev", dev] }
        return try jsonArray(must(argv).stdout).flatMap { link in
            ((link["addr_info"] as? [[String: Any]]) ?? []).compactMap { info -> String? in
                guard let local = info["local"] as? String, let len = info["prefixlen"] as? Int else { return nil }
                return "\(local)/\(len)"
            }
        }
    }

    struct RouteEntry: Equatable, CustomStringConvertible {
        var dst: String        // "default" or "10.88.0.0/16"
        var gateway: String?
        var dev: String?
        var description: String { "\(dst)\(gateway.map { " via \($0)" } ?? "")\(dev.map { " dev \($0)" } ?? "")" }
    }

    /// The main IPv4 table: `ip [-n NETNS] -j route show`.
    func routes(netns: String? = nil) throws -> [RouteEntry] {
        try jsonArray(must(ip(netns) + ["-j", "route", "show"]).stdout).map {
            RouteEntry(dst: $0["dst"] as? String ?? "?", gateway: $0["gateway"] as? String, dev: $0["dev"] as? String)
        }
    }

    /// Named namespaces: `ip -j netns list` (prints nothing at all when there are none).
    func netnsList() throws -> [String] {
        try jsonArray(must(["ip", "-j", "netns", "list"]).stdout).compactMap { $0["name"] as? String }
    }

    /// `ip netns exec NETNS ping -c1 -W1 ADDRESS`, up to `attempts` times 250 ms apart: does
    /// the gateway answer within a few seconds? One lost echo is not a configuration error: the
    /// ARP table is one per kernel (gc_thresh3 = 1024 entries across ALL namespaces), so while
    /// other work on the machine fills it, sendmsg fails with ENOBUFS ("neighbor table overflow"
    /// in dmesg) until forced GC frees entries older than 5 s; and a new veth's carrier is
    /// processed by the kernel's global, rate-limited linkwatch work. Seen here under load.
    func ping(from netns: String, _ address: String, attempts: Int = 5) throws -> CommandResult {
        var result: CommandResult
        var attempt = 0
        repeat {
            attempt += 1
            if attempt > 1 { usleep(250_000) }
            result = try run(["ip", "netns", "exec", netns, "ping", "-c1", "-W1", address], timeout: .seconds(10))
        } while !result.succeeded && attempt < attempts
        if attempt > 1 { result.argv += ["(attempt \(attempt) of \(attempts))"] }
        return result
    }

    /// Whether `path` exists inside the sandbox (its /run is not the host's).
    func exists(_ path: String) throws -> Bool {
        try run(["test", "-e", path]).status == 0
    }

    /// Names in a directory inside the sandbox; empty when it does not exist.
    func list(_ directory: String) throws -> [String] {
        try sh("ls -A \(directory) 2>/dev/null || true").stdout.split(separator: "\n").map(String.init)
    }

    private func ip(_ netns: String?) -> [String] {
        netns.map { ["ip", "-n", $0] } ?? ["ip"]
    }

    private func jsonArray(_ text: String) throws -> [[String: Any]] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return [] }
        guard let array = try JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [[String: Any]] else {
            throw SubprocessError(description: "expected a JSON array from ip, got: \(trimmed)")
        }
        return array
    }

    /// Waits for the line "ready PID" in `path`. Returns nil once `process` has been reaped:
    /// when it exited, or after killing it because time ran out.
    private static func awaitReady(_ path: String, process: pid_t, timeout: Duration) -> pid_t? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
               let line = text.split(separator: "\n").first(where: { $0.hasPrefix("ready ") }),
               text.contains("\n"), let holder = pid_t(line.dropFirst(6)) {
                return holder
            }
            var raw: Int32 = 0
            if waitpid(process, &raw, WNOHANG) == process { return nil }  // unshare died: reaped here
            usleep(5_000)
        }
        kill(process, SIGKILL)
        _ = Subprocess.wait(process, timeout: .seconds(5))
        return nil
    }
}

/// Polls `condition` every 50 ms for at most `timeout`: for the kernel's asynchronous
/// netns cleanup (veths of a deleted namespace disappear a few ms after `ip netns del`).
func eventually(within timeout: Duration = .seconds(5), _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        usleep(50_000)
    }
}
