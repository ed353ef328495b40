import Foundation
import Testing

/// Issue 10 "Must show" 3: two OCI `createRuntime` hooks for two containers of one manifest
/// whose bridge does not exist yet, run at the same time, one of them failing (the kernel
/// refuses its route): every round, the other container keeps a working bridge port and
/// passes `plumb verify`; after both poststops and `plumb destroy` nothing is left.
/// The containers are processes in network namespaces of their own (`unshare --net`), fed
/// to the hook as a runtime does: the OCI state on stdin.
@Suite("OCI hooks racing on a missing bridge", .timeLimit(.minutes(10)))
struct HookRaceTests {
    static let rounds = 20

    static let manifest = """
        version: 1
        name: race
        bridges:
          - name: br0
            addresses: [10.88.0.1/16]
        containers:
          - name: web
            interfaces:
              - {name: eth0, veth: {bridge: br0}, addresses: [10.88.0.2/16]}
            routes:
              - {to: default, via: 10.88.0.1}
          - name: db
            interfaces:
              - {name: eth0, veth: {bridge: br0}, addresses: [10.88.0.3/16]}
            routes:
              - {to: default, via: 10.88.255.255}
        """

    @Test("20 rounds: the failing hook never takes the other container's bridge")
    func racingHooks() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.manifest, fileName: "race.yaml")
        var failures: [String] = []
        var webFirst = 0
        for round in 1...Self.rounds {
            let web = try Holder(sandbox), db = try Holder(sandbox)
            defer { web.stop(); db.stop() }
            let (webStatus, dbStatus, order) = try Self.createBoth(sandbox, manifest, round: round, web: web.pid, db: db.pid)
            if order == "web" { webFirst += 1 }
            if webStatus != 0 { failures.append("round \(round): web's createRuntime exited \(webStatus)") }
            if dbStatus == 0 { failures.append("round \(round): db's createRuntime succeeded although its route is refused") }
            failures += try Self.webWorks(sandbox, manifest, web: web.pid, round: round)
            // db got nothing: no eth0 in its namespace, no veth of its on br0.
            let dbLinks = try sandbox.run(["nsenter", "-t", "\(db.pid)", "-n", "ip", "-o", "link", "show"]).stdout
            if dbLinks.contains("eth0") { failures.append("round \(round): db's namespace kept eth0:\n\(dbLinks)") }
            for (name, pid) in [("web", web.pid), ("db", db.pid)] {
                let stop = try Self.hook(sandbox, "poststop", manifest, container: name, id: "\(name)-\(round)", pid: 0)
                if stop.status != 0 { failures.append("round \(round): \(name)'s poststop exited \(stop.status):\n\(stop)") }
                _ = pid
            }
            let destroy = try sandbox.plumb("destroy", manifest)
            if destroy.status != 0 { failures.append("round \(round): destroy exited \(destroy.status):\n\(destroy)") }
            if try sandbox.links() != ["lo"] { failures.append("round \(round): left after destroy: \(try sandbox.links())") }
        }
        print("hook-race: rounds=\(Self.rounds) web-hook-first=\(webFirst) failures=\(failures.count)")
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        let left = try sandbox.records()
        #expect(left.isEmpty, "records left: \(left)")
        #expect(try sandbox.netnsList() == [])
    }

    /// Both hooks at once; their exit codes and which one took the store's lock first.
    static func createBoth(_ sandbox: Sandbox, _ manifest: String, round: Int, web: Int32, db: Int32) throws
        -> (web: Int32, db: Int32, first: String) {
        let dir = sandbox.scratch.path
        for (name, pid) in [("web", web), ("db", db)] {
            try state(id: "\(name)-\(round)", pid: pid, container: name).write(toFile: "\(dir)/\(name).state", atomically: true, encoding: .utf8)
        }
        let plumb = try PlumbBinary.path()
        let script = """
            cd \(dir) && rm -f web.rc db.rc order
            ( \(plumb) hook createRuntime \(manifest) < web.state > web.out 2>&1; echo $? > web.rc; [ -e order ] || echo web > order ) &
            ( \(plumb) hook createRuntime \(manifest) < db.state > db.out 2>&1; echo $? > db.rc; [ -e order ] || echo db > order ) &
            wait
            """
        let run = try sandbox.sh(script, timeout: .seconds(60))
        guard run.succeeded else { throw SubprocessError(description: "\(run)") }
        func read(_ f: String) -> String { ((try? String(contentsOfFile: "\(dir)/\(f)", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
        return (Int32(read("web.rc")) ?? -1, Int32(read("db.rc")) ?? -1, read("order"))
    }

    /// web, seen from inside its namespace and from the host, and by `plumb verify`.
    static func webWorks(_ sandbox: Sandbox, _ manifest: String, web: Int32, round: Int) throws -> [String] {
        var failures: [String] = []
        let addr = try sandbox.run(["nsenter", "-t", "\(web)", "-n", "ip", "-o", "addr", "show", "dev", "eth0"]).stdout
        if !addr.contains("10.88.0.2/16") { failures.append("round \(round): web has no 10.88.0.2/16 on eth0: \(addr)") }
        let port = try sandbox.run(["ip", "-o", "link", "show", "master", "br0"]).stdout
        if !port.contains("web-eth0") || !port.contains("state UP") {
            failures.append("round \(round): web-eth0 is not an up port of br0: \(port)")
        }
        let ping = try sandbox.run(["nsenter", "-t", "\(web)", "-n", "ping", "-c1", "-W2", "10.88.0.1"])
        if !ping.succeeded { failures.append("round \(round): web cannot reach its gateway:\n\(ping)") }
        let verify = try sandbox.plumb("verify", manifest)
        if verify.status != 0 || !verify.stdout.contains("PASS  eth0 probe") {
            failures.append("round \(round): plumb verify:\n\(verify)")
        }
        return failures
    }

    static func hook(_ sandbox: Sandbox, _ stage: String, _ manifest: String, container: String, id: String, pid: Int32) throws -> CommandResult {
        let file = sandbox.scratch.appendingPathComponent("\(id)-\(stage).state").path
        try state(id: id, pid: pid, container: container).write(toFile: file, atomically: true, encoding: .utf8)
        return try sandbox.sh("\(try PlumbBinary.path()) hook \(stage) \(manifest) < \(file)")
    }

    /// The runtime-spec state a runtime writes on a hook's stdin.
    static func state(id: String, pid: Int32, container: String) -> String {
        """
        {"ociVersion": "1.0.2", "id": "\(id)", "status": "created", "pid": \(pid), "bundle": "/nonexistent",
         "annotations": {"plumb.network/container": "\(container)"}}
        """
    }
}

/// A process alone in a new network namespace, as a container's init would be; ended
/// by its pid.
final class Holder {
    let pid: Int32
    private let sandbox: Sandbox

    init(_ sandbox: Sandbox) throws {
        self.sandbox = sandbox
        let out = try sandbox.sh("setsid unshare --net sleep 600 >/dev/null 2>&1 < /dev/null & echo $!")
        guard let pid = Int32(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw SubprocessError(description: "no holder pid: \(out)")
        }
        self.pid = pid
        // Wait until it is inside its own namespace (unshare has run).
        _ = eventually(within: .seconds(5)) {
            let ns = (try? sandbox.sh("readlink /proc/\(pid)/ns/net; readlink /proc/self/ns/net").stdout) ?? ""
            let lines = ns.split(separator: "\n")
            return lines.count == 2 && lines[0] != lines[1]
        }
    }

    func stop() { _ = try? sandbox.run(["kill", "-KILL", "\(pid)"]) }
}
