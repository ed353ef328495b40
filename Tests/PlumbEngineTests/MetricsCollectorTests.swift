import Foundation
import PlumbEngine
import PlumbManifest
import PlumbNetlink
import PlumbSystem
import PlumbTypes
import Testing

/// What a scrape reads from the (fake) kernel: each reading comes from where the brief of
/// the metric says, and a broken path shows as a failing check, not as a missing series.
@Suite("Metrics collection")
struct MetricsCollectorTests {
    let mixed: Layer
    init() throws { mixed = try layer(Manifests.mixed) }

    func snapshot(_ w: World, counters: WatchCounters = WatchCounters(), reports: [String: VerifyReport]? = nil) -> MetricsSnapshot {
        w.engine().metricsSnapshot(of: [(mixed.manifest, ManifestIdentity(name: "mixed", source: nil))],
                                   counters: counters, reports: reports)
    }

    @Test("after apply: verify ok, no drift, the containers' link counters, the PF's VF counters, softnet per CPU")
    func applied() throws {
        let w = World(.standard(numVFs: 2))
        try w.engine().apply(mixed)
        w.kernel.edit("eth0", in: .named("web")) { $0.stats.rxBytes = 4242; $0.stats.txDropped = 3 }
        w.kernel.pfs["eth1"]!.stats = [VFStats(index: 0, rxPackets: 11, txPackets: 12, rxBytes: 13, txBytes: 14, broadcast: 15, multicast: 16),
                                       VFStats(index: 1, rxPackets: 21)]
        w.kernel.softnetStat = SoftnetStat(cpus: [SoftnetCPU(cpu: 0, dropped: 4, timeSqueeze: 2)])
        var counters = WatchCounters()
        counters.recordRepair(manifest: "mixed", succeeded: true)

        let s = snapshot(w, counters: counters)
        #expect(s.problems.isEmpty, "\(s.problems)")
        let m = try #require(s.manifests.first)
        #expect(m.name == "mixed")
        #expect(m.verify?.ok == true, "\(m.verify?.failures ?? [])")
        #expect(m.planSteps == 0)
        #expect(m.interfaces.map { "\($0.container)/\($0.interface)" } == ["web/eth0", "db/eth0", "c1/eth1"])
        #expect(m.interfaces.first?.stats.rxBytes == 4242 && m.interfaces.first?.stats.txDropped == 3)
        #expect(m.vfs == [VFCounters(pf: "eth1", stats: w.kernel.pfs["eth1"]!.stats[0]),
                          VFCounters(pf: "eth1", stats: w.kernel.pfs["eth1"]!.stats[1])])
        #expect(s.softnet == [SoftnetCPU(cpu: 0, dropped: 4, timeSqueeze: 2)])
        #expect(m.watch.repairs == 1)
        let probe = m.verify?.containers.first { $0.name == "web" }?.checks.first { $0.name == "probe" }
        #expect(probe?.rttMicroseconds == 42, "the probe's echo RTT is carried for the RTT gauge")
    }

    @Test("a container address removed behind plumb's back: drift 1 and a failing addresses check in the text")
    func drift() throws {
        let w = World(.standard(numVFs: 2))
        try w.engine().apply(mixed)
        let db = try #require(w.kernel.resolve(.named("db")))
        w.kernel.namespaces[db]!.addresses.removeAll { $0.prefix == IPPrefix("10.88.0.3/16")! }
        let s = snapshot(w)
        let m = try #require(s.manifests.first)
        #expect(m.planSteps == 1)
        #expect(m.verify?.ok == false)
        let text = MetricsRenderer.text(s)
        #expect(text.contains(#"plumb_verify_check_ok{manifest="mixed",container="db",interface="eth0",check="addresses"} 0"#), "\(text)")
        #expect(text.contains(#"plumb_plan_steps{manifest="mixed"} 1"#))
    }

    @Test("a report handed in (the watcher's last) is the one exported, not a fresh verify")
    func reportsHandedIn() throws {
        let w = World(.standard(numVFs: 2))
        try w.engine().apply(mixed)
        let given = VerifyReport(manifest: "mixed", containers: [], host: HostReport(checks: [
            Check("nat-rules", nil, .fail, expected: "e", observed: "o", evidence: [.nftables]),
        ]))
        let m = try #require(snapshot(w, reports: ["mixed": given]).manifests.first)
        #expect(m.verify?.ok == false && m.verify?.host.checks.map(\.name) == ["nat-rules"] && m.verify?.containers.isEmpty == true)
    }

    @Test("a namespace that is gone: its counters are missing, said in a problem; the other containers still count")
    func namespaceGone() throws {
        let w = World(.standard(numVFs: 2))
        try w.engine().apply(mixed)
        w.kernel.removeNamespace("db")
        let s = snapshot(w)
        let m = try #require(s.manifests.first)
        #expect(m.interfaces.map(\.container) == ["web", "c1"])
        #expect(s.problems.contains { $0.hasPrefix("manifest mixed: container db:") }, "\(s.problems)")
        #expect(m.verify?.ok == false)
    }
}
