import Foundation
import PlumbEngine
import PlumbNetlink
import PlumbSystem
import Testing

/// The renderer is pure: a snapshot in, Prometheus text format 0.0.4 out. These pin what a
/// Prometheus server or node_exporter's textfile collector would read from it.
@Suite("Metrics renderer")
struct MetricsRendererTests {
    static func check(_ name: String, _ interface: String?, _ status: Check.Status, rtt: Int? = nil) -> Check {
        var c = Check(name, interface, status, expected: "e", observed: "o", evidence: [.netlink])
        c.rttMicroseconds = rtt
        return c
    }

    static func report(_ name: String, webProbe: Check.Status = .pass) -> VerifyReport {
        VerifyReport(manifest: name,
                     containers: [ContainerReport(name: "web", netns: "web", checks: [
                         check("link-up", "eth0", .pass), check("probe", "eth0", webProbe, rtt: 84),
                         check("rx-drops", "eth0", .warn), check("netns-present", nil, .pass),
                     ])],
                     host: HostReport(checks: [check("bridge-present", "br0", .pass)]),
                     nics: [NICReport(name: "eth1", driver: "igb", checks: [check("rings", "eth1", .pass)])])
    }

    /// Two manifests with every kind of reading.
    static let full = MetricsSnapshot(
        manifests: [
            ManifestMetrics(name: "demo", verify: report("demo"), planSteps: 0,
                            interfaces: [InterfaceCounters(container: "web", interface: "eth0", stats: stats(rx: 10, tx: 6))],
                            vfs: [VFCounters(pf: "eth1", stats: VFStats(index: 0, rxPackets: 7, txPackets: 3, rxBytes: 700,
                                                                        txBytes: 300, broadcast: 2, multicast: 1,
                                                                        rxDropped: 8, txDropped: 9)),
                                  VFCounters(pf: "eth1", stats: VFStats(index: 1, rxPackets: 70))],
                            watch: WatchCounters.Entry(repairs: 3, failedRepairs: 1, lastRepair: Date(timeIntervalSince1970: 1_700_000_000))),
            ManifestMetrics(name: "nat", verify: report("nat", webProbe: .fail), planSteps: 2,
                            interfaces: [InterfaceCounters(container: "web", interface: "eth0", stats: stats(rx: 1, tx: 1))]),
        ],
        softnet: [SoftnetCPU(cpu: 0, dropped: 5, timeSqueeze: 9), SoftnetCPU(cpu: 3, dropped: 0, timeSqueeze: 1)])

    static func stats(rx: UInt64, tx: UInt64) -> LinkStats {
        var s = LinkStats()
        s.rxPackets = rx; s.txPackets = tx; s.rxBytes = rx * 100; s.txBytes = tx * 100; s.rxDropped = 1; s.txErrors = 2
        return s
    }

    let text = MetricsRenderer.text(full)
    var lines: [String] { text.split(separator: "\n").map(String.init) }

    @Test("label values escape backslash, double quote and line feed; HELP escapes backslash and line feed only")
    func escaping() {
        #expect(Exposition.escapeLabel(#"a\b"c"# + "\nd") == #"a\\b\"c\nd"#)
        #expect(Exposition.escapeLabel("x\r\ny") == "x\r\\ny", "a CRLF's line feed is escaped too")
        #expect(Exposition.escapeHelp(#"say "hi" \ now"# + "\n") == #"say "hi" \\ now\n"#)
        let family = MetricFamily("t_total", .counter, help: "h", samples: [MetricSample([("manifest", "we\"b\n")], .count(1))])
        #expect(Exposition.render([family]) == "# HELP t_total h\n# TYPE t_total counter\nt_total{manifest=\"we\\\"b\\n\"} 1\n")
    }

    @Test("a manifest name that is not a plain word stays one label value, on one line")
    func hostileManifestName() {
        let odd = MetricsSnapshot(manifests: [ManifestMetrics(name: "a\"b\\c\nd}", planSteps: 1)])
        let t = MetricsRenderer.text(odd)
        #expect(t.contains(#"plumb_plan_steps{manifest="a\"b\\c\nd}"} 1"#), "\(t)")
        #expect(t.split(separator: "\n").allSatisfy { $0.hasPrefix("#") || $0.hasPrefix("plumb_") }, "\(t)")
    }

    @Test("each family has one HELP and one TYPE line, before all of its samples, which follow together")
    func helpAndTypeOnce() {
        var seen: [String] = []
        var current: String?
        for line in lines {
            if line.hasPrefix("# HELP ") {
                let name = String(line.dropFirst(7).prefix { $0 != " " })
                #expect(!seen.contains(name), "\(name) has a second HELP")
                seen.append(name); current = name
            } else if line.hasPrefix("# TYPE ") {
                #expect(line.split(separator: " ")[2] == current ?? "", "TYPE \(line) is not right after its HELP")
            } else {
                let name = String(line.prefix { $0 != "{" && $0 != " " })
                #expect(name == current, "sample \(line) outside its family \(current ?? "-")")
            }
        }
        #expect(seen.count == MetricsRenderer.families(Self.full).filter { !$0.samples.isEmpty }.count)
    }

    @Test("counters end in _total and gauges do not; names carry units; labels are the bounded set")
    func conventions() {
        let families = MetricsRenderer.families(Self.full)
        let allowed: Set = ["manifest", "container", "interface", "check", "pf", "vf", "cpu"]
        for f in families {
            #expect(f.name.hasSuffix("_total") == (f.kind == .counter), "\(f.name) is a \(f.kind)")
            #expect(f.name.range(of: "^plumb_[a-z_]+$", options: .regularExpression) != nil, "\(f.name)")
            for s in f.samples { #expect(Set(s.labels.map(\.0)).isSubset(of: allowed), "\(f.name) \(s.labels)") }
        }
        #expect(families.contains { $0.name == "plumb_probe_rtt_seconds" })
        #expect(families.contains { $0.name == "plumb_interface_receive_bytes_total" })
    }

    @Test("a failing check is 0, a warning or skip is 1; verify ok per manifest; RTT in seconds")
    func checks() {
        #expect(lines.contains(#"plumb_verify_ok{manifest="demo"} 1"#))
        #expect(lines.contains(#"plumb_verify_ok{manifest="nat"} 0"#))
        #expect(lines.contains(#"plumb_verify_check_ok{manifest="nat",container="web",interface="eth0",check="probe"} 0"#))
        #expect(lines.contains(#"plumb_verify_check_ok{manifest="demo",container="web",interface="eth0",check="probe"} 1"#))
        #expect(lines.contains(#"plumb_verify_check_ok{manifest="demo",container="web",interface="eth0",check="rx-drops"} 1"#))
        #expect(lines.contains(#"plumb_verify_check_ok{manifest="demo",container="web",check="netns-present"} 1"#))
        #expect(lines.contains(#"plumb_verify_check_ok{manifest="demo",interface="br0",check="bridge-present"} 1"#))
        #expect(lines.contains(#"plumb_verify_check_ok{manifest="demo",pf="eth1",interface="eth1",check="rings"} 1"#))
        #expect(lines.contains(#"plumb_probe_rtt_seconds{manifest="demo",container="web",interface="eth0",check="probe"} 8.4e-05"#))
    }

    @Test("a manifest whose verify could not run reads verify_ok 0 and has no check series")
    func verifyError() {
        let t = MetricsRenderer.text(MetricsSnapshot(manifests: [ManifestMetrics(name: "x")], problems: ["manifest x: verify: boom\nagain"]))
        #expect(t.contains(#"plumb_verify_ok{manifest="x"} 0"#))
        #expect(!t.contains("plumb_verify_check_ok"))
        #expect(!t.contains("plumb_plan_steps"), "no plan, no drift sample")
        #expect(t.hasPrefix("# plumb: manifest x: verify: boom again\n"), "\(t)")
    }

    @Test("two checks with the same labels give one series, the failing one")
    func duplicateSeries() {
        let r = VerifyReport(manifest: "d", containers: [ContainerReport(name: "web", netns: "web", checks: [
            Self.check("probe", "eth0", .pass), Self.check("probe", "eth0", .fail), Self.check("probe", "eth0", .pass),
        ])], host: HostReport(checks: []))
        let t = MetricsRenderer.text(MetricsSnapshot(manifests: [ManifestMetrics(name: "d", verify: r)]))
        let probe = t.split(separator: "\n").filter { $0.hasPrefix("plumb_verify_check_ok") }
        #expect(probe == [#"plumb_verify_check_ok{manifest="d",container="web",interface="eth0",check="probe"} 0"#])
    }

    @Test("interface, VF, softnet, drift and repair series carry the snapshot's numbers")
    func counters() {
        for expected in [
            #"plumb_interface_receive_packets_total{manifest="demo",container="web",interface="eth0"} 10"#,
            #"plumb_interface_receive_bytes_total{manifest="demo",container="web",interface="eth0"} 1000"#,
            #"plumb_interface_receive_dropped_total{manifest="demo",container="web",interface="eth0"} 1"#,
            #"plumb_interface_transmit_errors_total{manifest="nat",container="web",interface="eth0"} 2"#,
            #"plumb_interface_transmit_bytes_total{manifest="demo",container="web",interface="eth0"} 600"#,
            #"plumb_vf_receive_packets_total{manifest="demo",pf="eth1",vf="0"} 7"#,
            #"plumb_vf_transmit_bytes_total{manifest="demo",pf="eth1",vf="0"} 300"#,
            #"plumb_vf_receive_broadcast_packets_total{manifest="demo",pf="eth1",vf="0"} 2"#,
            #"plumb_vf_receive_multicast_packets_total{manifest="demo",pf="eth1",vf="0"} 1"#,
            #"plumb_vf_receive_dropped_total{manifest="demo",pf="eth1",vf="0"} 8"#,
            #"plumb_vf_transmit_dropped_total{manifest="demo",pf="eth1",vf="0"} 9"#,
            #"plumb_vf_receive_packets_total{manifest="demo",pf="eth1",vf="1"} 70"#,
            #"plumb_softnet_dropped_total{cpu="0"} 5"#,
            #"plumb_softnet_times_squeezed_total{cpu="3"} 1"#,
            #"plumb_plan_steps{manifest="demo"} 0"#,
            #"plumb_plan_steps{manifest="nat"} 2"#,
            #"plumb_watch_repairs_total{manifest="demo"} 3"#,
            #"plumb_watch_repair_failures_total{manifest="demo"} 1"#,
            #"plumb_watch_repairs_total{manifest="nat"} 0"#,
            #"plumb_watch_last_repair_timestamp_seconds{manifest="demo"} 1700000000.0"#,
        ] {
            #expect(lines.contains(expected), "missing \(expected)")
        }
        #expect(!text.contains(#"plumb_watch_last_repair_timestamp_seconds{manifest="nat"}"#), "never repaired: no timestamp")
        #expect(!text.contains(#"plumb_vf_receive_dropped_total{manifest="demo",pf="eth1",vf="1"}"#),
                "a kernel that sends no dropped counters gets no dropped series, not a false 0")
    }

    @Test("refused manifests: a count without labels, 0 when none")
    func refused() {
        #expect(lines.contains("plumb_manifests_refused 0"))
        let t = MetricsRenderer.text(MetricsSnapshot(problems: ["/etc/plumb/x.yaml: 1 error"], refusedManifests: 1))
        #expect(t.split(separator: "\n").contains("plumb_manifests_refused 1"), "\(t)")
    }

    @Test("a family without samples is left out: no VFs, no VF lines")
    func emptyFamilies() {
        let t = MetricsRenderer.text(MetricsSnapshot(manifests: [ManifestMetrics(name: "m", planSteps: 0)]))
        #expect(!t.contains("plumb_vf_"))
        #expect(!t.contains("plumb_softnet_"))
        #expect(t.contains("# TYPE plumb_plan_steps gauge"))
    }

    @Test("counters beyond 2^53 print exactly")
    func bigCounters() {
        let f = MetricFamily("big_total", .counter, help: "h", samples: [MetricSample([], .count(UInt64.max))])
        #expect(Exposition.render([f]).hasSuffix("big_total 18446744073709551615\n"))
    }
}
