import Foundation
import Testing

/// A real CNI client: Debian's containerd 1.6, whose `ctr run --cni` attaches a task through
/// go-cni — the library the CRI plugin uses for kubelet's pods — to the first conflist of
/// /etc/cni/net.d, here a Plumb bridge network (see ContainerdSupport.swift for the setup).
///
/// The container's command (its rootfs is a directory of the test's) marks that it started, then
/// waits for a file the test creates before it pings, so the test sees the finished attachment
/// while the task lives (veth, table, record, lease) and can break the path first for the
/// negative control. go-cni's libcni reads results up to CNI 1.0.0.
@Suite("containerd (ctr run --cni)", .timeLimit(.minutes(10)))   // time waiting in Heavy's queue counts
struct ContainerdTests {
    static let ipamDir = "/run/cni-ipam"
    static let gateway = "10.77.0.1"

    static let conflist = """
        {"cniVersion": "1.0.0", "name": "plumbnet", "plugins": [
          {"type": "plumb", "bridge": {"name": "cni-br0", "masquerade": true},
           "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.77.0.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}],
                    "dataDir": "\(ipamDir)"}}]}
        """

    /// Says it started (ctr starts the task only once go-cni's ADD has returned), waits
    /// (≤ 20 s) for /tmp/go, shows eth0, then pings the gateway: up to three echoes, since one
    /// lost to a full neighbour table under load is not a configuration error.
    static let probe = ["/bin/sh", "-c", """
        : > /tmp/started; i=0; while [ ! -e /tmp/go ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done
        ip addr show eth0 || exit 2
        for i in 1 2 3; do ping -c1 -W2 \(gateway) && exit 0; sleep 0.25; done
        exit 1
        """]

    @Test("ctr run --cni --rm on a plumb conflist: the task's own ping reaches 10.77.0.1; its end leaves no veth, bridge, record, lease or table")
    func pingsGatewayAndLeavesNothing() async throws {
        let seen = try await Heavy.run { try Self.runOnce(breakGateway: false) }
        #expect(seen.run.succeeded, "\(seen.run)")
        #expect(seen.run.stdout.contains("inet 10.77.0."), "no address on eth0:\n\(seen.run)")
        #expect(seen.run.stdout.contains("64 bytes from \(Self.gateway)"), "\(seen.run)")
        #expect(seen.run.stdout.contains("1 packets received"), "\(seen.run)")

        // While the task ran, Plumb's attachment was there: the checks after it mean something.
        #expect(seen.during.veths.count == 1, "veths while running: \(seen.during.veths)")
        #expect(seen.during.bridgeUp, "no cni-br0 while running: \(seen.during)")
        #expect(seen.during.records != "", "no record of \(seen.cniID) in /run/plumb while running")
        #expect(seen.during.leases.count == 1, "leases while running: \(seen.during.leases)")
        #expect(seen.during.tables.contains("table "), "no nftables table while running: \(seen.during.tables)")

        #expect(seen.after.links == ["lo"], "left after --rm: \(seen.after.links)")
        #expect(seen.after.records == "", "records of \(seen.cniID) left:\n\(seen.after.records)")
        #expect(seen.after.leases == [], "leases left: \(seen.after.leases)")
        #expect(seen.after.tables == "", "nftables left:\n\(seen.after.tables)")
        #expect(seen.after.containers == "", "containerd still lists: \(seen.after.containers)")
    }

    @Test("negative control: with cni-br0's gateway address removed before the task pings, its ping fails")
    func pingFailsWithoutGateway() async throws {
        let seen = try await Heavy.run { try Self.runOnce(breakGateway: true) }
        #expect(seen.during.bridgeUp, "no cni-br0 while running: \(seen.during)")
        #expect(!seen.run.succeeded && !seen.run.timedOut, "\(seen.run)")
        #expect(seen.run.status == 1, "expected the probe's own exit 1 (eth0 there, no reply):\n\(seen.run)")
        #expect(seen.run.stdout.contains("inet 10.77.0."), "\(seen.run)")
        #expect(!seen.run.stdout.contains("64 bytes from"), "\(seen.run)")
        #expect(seen.run.stdout.contains("0 packets received"), "\(seen.run)")
    }

    // MARK: - One run

    struct State: Sendable, CustomStringConvertible {
        var links: [String] = []
        var veths: [String] = []
        var bridgeUp = false
        var records = ""
        var leases: [String] = []
        var tables = ""
        var containers = ""
        var description: String {
            "links \(links), records [\(records)], leases \(leases), tables [\(tables)], containers [\(containers)]"
        }
    }

    struct Seen: Sendable {
        var cniID: String
        var run: CommandResult
        var during: State
        var after: State
    }

    /// Starts containerd in a sandbox, runs the probe container, looks at the sandbox while it
    /// waits (then, if asked, deletes the bridge's gateway address), lets it ping, and looks
    /// again once `ctr run --rm` has returned.
    static func runOnce(breakGateway: Bool) throws -> Seen {
        let rt = try RuntimeSandbox()
        defer { rt.close() }
        let daemon = try rt.containerd(plugins: ["plumb": try PlumbBinary.path(),
                                                 "host-local": "/usr/lib/cni/host-local"])
        try daemon.addConflist(conflist, name: "10-plumbnet")
        let rootfs = try BusyboxBundle(in: daemon.directory, name: "busybox", args: ["sh"]).rootfs

        let id = breakGateway ? "nogw" : "probe"
        let cniID = ContainerdDaemon.cniContainerID(id)
        let running = try daemon.startRun(id: id, rootfs: rootfs, probe)
        var run: CommandResult?
        defer { if run == nil { _ = running.finish(timeout: .seconds(1)) } }  // a throw below: reap ctr
        let started = eventually(within: .seconds(30)) {
            FileManager.default.fileExists(atPath: rootfs + "/tmp/started") || running.exited()
        }
        let during = try state(rt.sandbox, daemon: daemon, cniID: cniID)
        if started && breakGateway {
            try rt.sandbox.must(["ip", "addr", "del", gateway + "/24", "dev", "cni-br0"])
        }
        guard FileManager.default.createFile(atPath: rootfs + "/tmp/go", contents: Data()) else {
            throw SubprocessError(description: "cannot create \(rootfs)/tmp/go")
        }
        let finished = running.finish(timeout: .seconds(60))
        run = finished
        var after = State()
        _ = try eventually { after = try state(rt.sandbox, daemon: daemon, cniID: cniID); return after.links == ["lo"] }
        return Seen(cniID: cniID, run: finished, during: during, after: after)
    }

    static func state(_ sandbox: Sandbox, daemon: ContainerdDaemon, cniID: String) throws -> State {
        var state = State()
        state.links = try sandbox.links()
        state.veths = try CNIPluginTests.veths(sandbox)
        state.bridgeUp = try sandbox.linkObjects().contains {
            $0["ifname"] as? String == "cni-br0" && (($0["flags"] as? [String]) ?? []).contains("UP")
        }
        state.records = try sandbox.sh("grep -rl -- '\(cniID)' /run/plumb 2>/dev/null; true").stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        state.leases = try sandbox.list(ipamDir + "/plumbnet").filter { $0.hasPrefix("10.") }
        state.tables = try sandbox.must(["nft", "list", "tables"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        state.containers = try daemon.ctr(["containers", "list", "--quiet"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return state
    }
}
