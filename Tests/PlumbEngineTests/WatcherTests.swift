import PlumbEngine
import PlumbManifest
import PlumbNetlink
import PlumbTypes
import Glibc
import Testing

/// The watcher's decisions on the fake kernel, with scripted wakes instead of netlink
/// events: what it repairs, what it leaves, how it backs off, what it logs.
@Suite("Watcher (reconciler)")
struct WatcherTests {
    static let yaml = """
        version: 1
        name: t
        bridges: [{name: br0, addresses: [10.88.0.1/16]}]
        containers:
          - name: web
            netns: web
            interfaces: [{name: eth0, veth: {bridge: br0, hostName: web-eth0}, addresses: [10.88.0.2/16]}]
            routes: [{to: default, via: 10.88.0.1}]
        """

    /// Runs a watcher over `yaml` on `w` until the script ends; returns its log lines.
    static func watch(_ w: World, yaml: String = yaml, options: Watcher.Options = Watcher.Options(),
                      _ script: [ScriptedEvents.Item]) throws -> (log: [String], events: ScriptedEvents) {
        let events = ScriptedEvents(script)
        var log: [String] = []
        let watcher = Watcher(options: options, events: events, log: { log.append($0) }) { w.engine() }
        let watched = [WatchedManifest(path: "/etc/plumb/t.yaml", layer: try layer(yaml))]
        watcher.run(load: { watched })
        return (log, events)
    }

    static let vethGone: [KernelEvent] = [.link(removed: true, index: 3, name: "web-eth0", up: false)]

    @Test("start applies and verifies; a drift event is repaired; its echoes are dropped and a converged re-plan changes nothing")
    func repairsDrift() throws {
        let w = World()
        var afterStart: FakeSnapshot?
        let (log, events) = try Self.watch(w, [
            ScriptedEvents.Item(.events(Self.vethGone)) { afterStart = w.kernel.snapshot(); deleteHostEnd(w) },
            ScriptedEvents.Item(.events([.nftables(removed: false, table: "foreign")])) {},
        ])
        #expect(log.filter { $0.hasPrefix("repaired t") }.count == 2, "\(log)")
        #expect(log.contains { $0.hasPrefix("repaired t") && $0.contains("after link web-eth0 (ifindex 3) deleted") && $0.hasSuffix("verify OK") }, "\(log)")
        #expect(log.last == "stopping (signal); 2 repairs, 0 failed")
        let converged = try w.engine().plan(try layer(Self.yaml)).converged
        #expect(afterStart != nil && converged, "repaired to the manifest")
        #expect(events.discards >= 2, "the repair's echoes are dropped")
        #expect(events.followed.last == [.named("web")], "the container's namespace is followed")
    }

    @Test("--report-only logs the drift and changes nothing")
    func reportOnly() throws {
        let w = World()
        _ = try Self.watch(w, [])   // converge first
        var options = Watcher.Options()
        options.reportOnly = true
        var before: FakeSnapshot?
        let (log, _) = try Self.watch(w, options: options, [
            ScriptedEvents.Item(.events(Self.vethGone)) { deleteHostEnd(w); before = w.kernel.snapshot() },
        ])
        #expect(log.contains { $0.hasPrefix("drift in t") && $0.contains("ip link add web-eth0") && $0.hasSuffix("(report only: nothing changed)") }, "\(log)")
        #expect(!log.contains { $0.hasPrefix("repaired") })
        if let before { expectSame(w.kernel.snapshot(), before, "report-only") }
    }

    @Test("a repair the kernel refuses backs off (the poll timeout carries the wait) and succeeds on a later try")
    func backsOff() throws {
        let w = World()
        var options = Watcher.Options()
        options.backoffFirst = .milliseconds(1)
        options.backoffMost = .milliseconds(4)
        let (log, events) = try Self.watch(w, options: options, [
            ScriptedEvents.Item(.events(Self.vethGone)) {
                deleteHostEnd(w)
                w.kernel.fail("createVeth", with: .noMemory)
                w.kernel.fail("createVeth", with: .noMemory)   // armed faults fire in turn: the second try fails too
            },
            ScriptedEvents.Item(.timeout) { usleep(5_000) },
            ScriptedEvents.Item(.timeout) { usleep(5_000) },
        ])
        let failures = log.filter { $0.hasPrefix("repair of t") }
        #expect(failures.count == 2, "\(log)")
        #expect(failures.first?.contains("1 in a row") == true && failures.last?.contains("2 in a row") == true)
        #expect(log.contains { $0.hasPrefix("repaired t") && $0.contains("after retry after backoff") }, "\(log)")
        #expect(events.timeouts.contains { $0 != nil }, "a pending retry sets the wait's timeout")
        #expect(events.timeouts.last == .some(nil), "after the success nothing is pending: sleep without a timeout")
        #expect(log.last == "stopping (signal); 2 repairs, 2 failed")
    }

    @Test("a container whose process is gone is said once, never recreated, never counted as a failure")
    func goneContainer() throws {
        let w = World()
        w.kernel.addProcess(4242)
        let yaml = Self.yaml.replacingOccurrences(of: "netns: web", with: "netns: {pid: 4242}")
        let (log, _) = try Self.watch(w, yaml: yaml, [
            ScriptedEvents.Item(.events([.namespaceID(removed: true)])) { w.kernel.killProcess(4242) },
            ScriptedEvents.Item(.events([.namespaceID(removed: true)])) {},
        ])
        #expect(log.filter { $0.contains("container web's process 4242 is gone") }.count == 1, "\(log)")
        #expect(log.last == "stopping (signal); 1 repairs, 0 failed")
    }

    @Test("SIGHUP reads the manifests again; SIGTERM stops")
    func reload() throws {
        let w = World()
        let (log, _) = try Self.watch(w, [ScriptedEvents.Item(.reload) {}])
        #expect(log.filter { $0.hasPrefix("watching 1 manifest") }.count == 2)
        #expect(log.contains("reloading manifests (SIGHUP)"))
        #expect(log.filter { $0.hasPrefix("ready: 1 converged, 0 drifted") }.count == 2, "\(log)")
    }
}

/// `ip link del web-eth0` behind Plumb's back.
func deleteHostEnd(_ w: World) {
    let links = try? w.kernel.links(in: .host)
    if let l = try? links?.link(name: "web-eth0") { try? links?.deleteLink(index: l.index, name: l.name) }
}

/// `WatchEvents` from a script: each item runs its setup (a change to the fake kernel)
/// and wakes the watcher; after an `.events` wake the next call is quiet (ending the
/// settle); when the script ends, `.stop`.
final class ScriptedEvents: WatchEvents {
    struct Item {
        var wake: WatchWake
        var before: () -> Void
        init(_ wake: WatchWake, _ before: @escaping () -> Void) { self.wake = wake; self.before = before }
    }
    var script: [Item]
    var quietNext = false
    var discards = 0
    var followed: [[NamespaceRef]] = []
    var timeouts: [Duration?] = []

    init(_ script: [Item]) { self.script = script }

    func next(timeout: Duration?) -> WatchWake {
        if quietNext { quietNext = false; return .events([]) }
        timeouts.append(timeout)
        guard !script.isEmpty else { return .stop }
        let item = script.removeFirst()
        item.before()
        if case .events = item.wake { quietNext = true }
        return item.wake
    }

    func discardPending() { discards += 1 }
    func follow(_ namespaces: [NamespaceRef]) { followed.append(namespaces) }
}
