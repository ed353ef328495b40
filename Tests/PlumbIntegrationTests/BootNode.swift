import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What one boot showed, read inside the machine before it powered off.
struct BootObservation: Sendable {
    struct Exchange: Sendable { var nonce: String, client: CommandResult, server: String }
    var number: Int
    var valid: [String]
    var pid1: String
    /// `systemctl show plumb.service`: ActiveState, SubState, Result, ExecMainStatus.
    var unit: [String: String]
    /// `journalctl -u plumb -o cat`: the unit's own lines (plumb's output and errors).
    var journal: String
    /// `journalctl -u plumb` with systemd's lines: the unit's fate, for failure messages.
    var unitLog: String
    /// `journalctl -b`'s lines about ordering cycles (none expected).
    var cycles: String
    /// `systemd-analyze verify` of both installed units, where their binary exists.
    var analyze: CommandResult
    /// `systemctl is-active nftables.service` and `nft list tables` after boot.
    var firewall: String
    var tables: String
    /// `ip -o link show` as the stand-in runtime saw it when it started.
    var runtimeSaw: String
    var verifies: [CommandResult]
    /// `plan --detailed-exitcode` of each valid manifest: 0 when converged.
    var plans: [CommandResult]
    var exchange: Exchange
    /// plumb-watch.service: `is-active` after boot; then `nft flush ruleset` in the machine and
    /// the time until the watcher had Plumb's NAT table back (nil: not within 5 s); its journal.
    var watcher: String
    var watchRepairMs: Int?
    var watchJournal: String
    var poweredOff: (status: Int32, timedOut: Bool)
    var leftOnHost: [String]

    /// The names the runtime saw, without the verify's transient outside link (`plumbv…`):
    /// plumb-watch.service starts beside the runtime and verifies once, so whether its probe
    /// link exists at that instant is chance.
    var runtimeSawNames: [String] {
        runtimeSaw.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: ":", maxSplits: 2)
            guard fields.count > 1 else { return nil }
            return String(fields[1].trimmingCharacters(in: .whitespaces).split(separator: "@").first ?? "")
        }.filter { !$0.hasPrefix("plumbv") }.sorted()
    }
}

/// A node: its installed root (`NodeRoot`) and its /etc/plumb, booted as often as a test wants.
final class BootNode {
    static let upstreamAddress = "192.0.2.2"
    let scratch: URL
    let root: NodeRoot
    let manifests: URL

    init(files: [String: String]) throws {
        guard geteuid() == 0 else { throw SubprocessError(description: "BootTests must run as root (CI runs them as root)") }
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-boot-\(UUID().uuidString.prefix(8))")
        manifests = scratch.appendingPathComponent("etc-plumb")
        try FileManager.default.createDirectory(at: manifests, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(to: manifests.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        root = try NodeRoot(scratch: scratch)
    }

    func close() { try? FileManager.default.removeItem(at: scratch) }

    /// Boots, observes, powers off; the machine is killed on every way out.
    func boot(_ number: Int, valid: [String]) throws -> BootObservation {
        let hostBefore = try Self.hostLinkNames(scratch)
        let machine = try BootedMachine(node: root, manifests: manifests, scratch: scratch)
        defer { machine.close() }
        _ = try machine.awaitBoot()
        let show = try machine.run(["systemctl", "show", "-p", "ActiveState,SubState,Result,ExecMainStatus", "plumb.service"])
        let unit = Dictionary(show.stdout.split(separator: "\n").compactMap { line -> (String, String)? in
            let kv = line.split(separator: "=", maxSplits: 1).map(String.init)
            return kv.count == 2 ? (kv[0], kv[1]) : nil
        }, uniquingKeysWith: { $1 })
        let plumb = "/usr/local/sbin/plumb"
        var o = BootObservation(
            number: number, valid: valid,
            pid1: try machine.run(["cat", "/proc/1/comm"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines),
            unit: unit,
            journal: try machine.run(["journalctl", "-u", "plumb.service", "-o", "cat", "--no-pager"]).stdout,
            unitLog: try machine.run(["journalctl", "-u", "plumb.service", "--no-pager", "-n", "60"]).stdout,
            cycles: try machine.run(["journalctl", "-b", "-q", "-o", "cat", "--no-pager", "--grep", "ordering cycle"]).stdout,
            analyze: try machine.run(["systemd-analyze", "verify", "/etc/systemd/system/plumb.service",
                                      "/etc/systemd/system/plumb-watch.service"]),
            firewall: try machine.run(["systemctl", "is-active", "nftables.service"]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines),
            tables: try machine.run(["nft", "list", "tables"]).stdout,
            runtimeSaw: try machine.run(["cat", NodeRoot.runtimeSawLinks]).stdout,
            verifies: try valid.map { try machine.run([plumb, "verify", "/etc/plumb/\($0)"], timeout: .seconds(120)) },
            plans: try valid.map { try machine.run([plumb, "plan", "--detailed-exitcode", "/etc/plumb/\($0)"], timeout: .seconds(120)) },
            exchange: try portForward(machine),
            watcher: try machine.run(["systemctl", "is-active", "plumb-watch.service"]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines),
            watchRepairMs: nil, watchJournal: "",
            poweredOff: (0, false), leftOnHost: [])
        o.watchRepairMs = try flushAndTimeRepair(machine)
        o.watchJournal = try machine.run(["journalctl", "-u", "plumb-watch.service", "-o", "cat", "--no-pager"]).stdout
        o.poweredOff = machine.powerOff()
        let hostAfter = try Self.hostLinkNames(scratch)
        o.leftOnHost = BootTests.manifestLinks.filter { hostAfter.contains($0) && !hostBefore.contains($0) }
        return o
    }

    /// nat.yaml's tcp 8080→80 from an outside: a namespace `upstream` inside the machine,
    /// joined to the machine's own namespace by a veth on 192.0.2.0/24 (TEST-NET-1) with no
    /// route to the bridge subnet; a server in www, a client in upstream to 192.0.2.1:8080.
    private func portForward(_ machine: BootedMachine) throws -> BootObservation.Exchange {
        for line in [
            "ip netns add upstream", "ip link add up0 type veth peer name up1 netns upstream",
            "ip addr add 192.0.2.1/24 dev up0", "ip link set up0 up", "ip -n upstream link set lo up",
            "ip -n upstream addr add \(Self.upstreamAddress)/24 dev up1", "ip -n upstream link set up1 up",
        ] {
            let r = try machine.run(line.split(separator: " ").map(String.init))
            guard r.succeeded else { throw SubprocessError(description: "setup step failed:\n\(r)") }
        }
        let nonce = NATTests.nonce()
        let serverOut = scratch.appendingPathComponent("server-\(UUID().uuidString.prefix(8)).out")
        // The server (Upstream.program: one peer, a 10 s accept timeout) ends by itself; its
        // nsenter is ours and is reaped here; the machine's end takes anything left.
        let server = try machine.spawn(["ip", "netns", "exec", "www", "/usr/bin/python3", "-c", Upstream.program,
                                        "tcp-server", "80"], output: serverOut)
        _ = eventually(within: .seconds(10)) {
            ((try? String(contentsOf: serverOut, encoding: .utf8)) ?? "").contains("listening")
        }
        let client = try machine.run(["ip", "netns", "exec", "upstream", "/usr/bin/python3", "-c", Upstream.program,
                                      "tcp-client", "192.0.2.1", "8080", nonce], timeout: .seconds(20))
        _ = Subprocess.wait(server, timeout: .seconds(15))
        let text = ((try? String(contentsOf: serverOut, encoding: .utf8)) ?? "")
            + ((try? String(contentsOfFile: serverOut.path + ".err", encoding: .utf8)) ?? "")
        return .init(nonce: nonce, client: client, server: text)
    }

    /// `nft flush ruleset` (a firewall reload) in the machine; the milliseconds until
    /// plumb-watch.service had put Plumb's NAT table back, nil when not within 5 s.
    private func flushAndTimeRepair(_ machine: BootedMachine) throws -> Int? {
        let started = ContinuousClock.now
        guard try machine.run(["nft", "flush", "ruleset"]).succeeded else { return nil }
        let back = try eventually(within: .seconds(5)) {
            try machine.run(["nft", "list", "tables"]).stdout.contains("table inet plumb_natdemo_")
        }
        return back ? Int(started.duration(to: .now) / .milliseconds(1)) : nil
    }

    /// The host's link names (`ip -o link show`), to show the machine left none behind.
    private static func hostLinkNames(_ scratch: URL) throws -> [String] {
        let r = try Subprocess.run(["ip", "-o", "link", "show"], timeout: .seconds(10), scratch: scratch)
        return r.stdout.split(separator: "\n").compactMap { line in
            let f = line.split(separator: ":", maxSplits: 2)
            return f.count > 1 ? String(f[1].trimmingCharacters(in: .whitespaces).split(separator: "@").first ?? "") : nil
        }
    }
}
