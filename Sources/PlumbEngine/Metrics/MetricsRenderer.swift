import Foundation
import PlumbNetlink
import PlumbSystem

/// A snapshot as Prometheus metric families, and as exposition text. Pure: the same
/// snapshot always gives the same text. Names carry their unit and counters end in
/// `_total`; labels are bounded sets — manifest, container, interface, check, pf, vf,
/// cpu — never an address or an error's text (those go to comment lines).
public enum MetricsRenderer {
    public static func text(_ s: MetricsSnapshot) -> String {
        Exposition.render(families(s), notes: s.problems.map { "plumb: \($0)" })
    }

    public static func families(_ s: MetricsSnapshot) -> [MetricFamily] {
        [refusedFamily(s)] + verifyFamilies(s.manifests) + [planFamily(s.manifests)] + interfaceFamilies(s.manifests)
            + vfFamilies(s.manifests) + softnetFamilies(s.softnet) + watchFamilies(s.manifests)
    }

    /// Always present (0 is the good news): an alert on it catches a typo in /etc/plumb.
    static func refusedFamily(_ s: MetricsSnapshot) -> MetricFamily {
        MetricFamily("plumb_manifests_refused", .gauge,
                     help: "Manifest files of the directories given that are invalid and were not measured (their errors are comment lines).",
                     samples: [MetricSample([], .count(UInt64(s.refusedManifests)))])
    }

    // MARK: Verify

    static func verifyFamilies(_ ms: [ManifestMetrics]) -> [MetricFamily] {
        var ok = MetricFamily("plumb_verify_ok", .gauge,
                              help: "1 when every check of the manifest's verify passed (warnings included), 0 when one failed or verify could not run.")
        var checks = MetricFamily("plumb_verify_check_ok", .gauge,
                                  help: "1 when the verify check passed, warned or was skipped; 0 when it failed.")
        var rtt = MetricFamily("plumb_probe_rtt_seconds", .gauge,
                               help: "Round trip of the verify probe's echo to the interface's gateway, in seconds.")
        for m in ms {
            ok.samples.append(MetricSample([("manifest", m.name)], .flag(m.verify?.ok ?? false)))
            guard let r = m.verify else { continue }
            checks.samples += worstPerSeries(checkSamples(m.name, r))
            rtt.samples += rttSamples(m.name, r)
        }
        return [ok, checks, rtt]
    }

    /// One sample per check: host checks have no container, NIC checks name the PF.
    static func checkSamples(_ manifest: String, _ r: VerifyReport) -> [MetricSample] {
        func sample(_ c: Check, container: String = "", pf: String = "") -> MetricSample {
            MetricSample([("manifest", manifest), ("container", container), ("pf", pf), ("interface", c.interface ?? ""),
                          ("check", c.name)], .flag(c.status != .fail))
        }
        return r.host.checks.map { sample($0) }
            + r.containers.flatMap { c in c.checks.map { sample($0, container: c.name) } }
            + r.nics.flatMap { n in n.checks.map { sample($0, pf: n.name) } }
    }

    static func rttSamples(_ manifest: String, _ r: VerifyReport) -> [MetricSample] {
        r.containers.flatMap { c in
            c.checks.compactMap { k -> MetricSample? in
                guard let us = k.rttMicroseconds else { return nil }
                return MetricSample([("manifest", manifest), ("container", c.name), ("interface", k.interface ?? ""),
                                     ("check", k.name)], .real(Double(us) / 1e6))
            }
        }
    }

    /// A series appears once: two checks with the same labels (should a report ever hold
    /// them) give one sample, the lower value — a failure is never hidden by a pass.
    static func worstPerSeries(_ samples: [MetricSample]) -> [MetricSample] {
        var order: [String] = []
        var worst: [String: MetricSample] = [:]
        for s in samples {
            let key = Exposition.labelText(s.labels)
            if let seen = worst[key] {
                if case .count(let a) = s.value, case .count(let b) = seen.value, a < b { worst[key] = s }
            } else {
                order.append(key); worst[key] = s
            }
        }
        return order.map { worst[$0]! }
    }

    // MARK: Plan

    static func planFamily(_ ms: [ManifestMetrics]) -> MetricFamily {
        MetricFamily("plumb_plan_steps", .gauge,
                     help: "Steps the manifest's plan would take now: 0 when the kernel matches the manifest (absent when planning failed).",
                     samples: ms.compactMap { m in m.planSteps.map { MetricSample([("manifest", m.name)], .count(UInt64($0))) } })
    }

    // MARK: Container interfaces

    static func interfaceFamilies(_ ms: [ManifestMetrics]) -> [MetricFamily] {
        let fields: [(String, String, KeyPath<LinkStats, UInt64>)] = [
            ("receive_packets", "Packets received", \.rxPackets),
            ("receive_bytes", "Bytes received", \.rxBytes),
            ("receive_errors", "Receive errors", \.rxErrors),
            ("receive_dropped", "Received packets dropped", \.rxDropped),
            ("transmit_packets", "Packets transmitted", \.txPackets),
            ("transmit_bytes", "Bytes transmitted", \.txBytes),
            ("transmit_errors", "Transmit errors", \.txErrors),
            ("transmit_dropped", "Packets dropped on transmit", \.txDropped),
        ]
        return fields.map { field, help, path in
            MetricFamily("plumb_interface_\(field)_total", .counter,
                         help: "\(help) by the container interface (kernel link statistics).",
                         samples: ms.flatMap { m in
                             m.interfaces.map { i in
                                 MetricSample([("manifest", m.name), ("container", i.container), ("interface", i.interface)],
                                              .count(i.stats[keyPath: path]))
                             }
                         })
        }
    }

    // MARK: VFs

    static func vfFamilies(_ ms: [ManifestMetrics]) -> [MetricFamily] {
        let fields: [(String, String, (VFStats) -> UInt64?)] = [
            ("receive_packets", "Packets the VF received", \.rxPackets),
            ("receive_bytes", "Bytes the VF received", \.rxBytes),
            ("transmit_packets", "Packets the VF transmitted", \.txPackets),
            ("transmit_bytes", "Bytes the VF transmitted", \.txBytes),
            ("receive_broadcast_packets", "Broadcast packets the VF received", \.broadcast),
            ("receive_multicast_packets", "Multicast packets the VF received", \.multicast),
            ("receive_dropped", "Packets dropped on the VF's receive path", \.rxDropped),
            ("transmit_dropped", "Packets dropped on the VF's transmit path", \.txDropped),
        ]
        return fields.map { field, help, read in
            MetricFamily("plumb_vf_\(field)_total", .counter, help: "\(help), as its PF reports it (IFLA_VF_STATS).",
                         samples: ms.flatMap { m in
                             m.vfs.compactMap { v in
                                 read(v.stats).map { MetricSample([("manifest", m.name), ("pf", v.pf), ("vf", String(v.stats.index))], .count($0)) }
                             }
                         })
        }
    }

    // MARK: Softnet

    static func softnetFamilies(_ cpus: [SoftnetCPU]) -> [MetricFamily] {
        [
            MetricFamily("plumb_softnet_dropped_total", .counter,
                         help: "Packets the CPU dropped because its backlog was full (net.core.netdev_max_backlog; /proc/net/softnet_stat, 32-bit).",
                         samples: cpus.map { MetricSample([("cpu", String($0.cpu))], .count(UInt64($0.dropped))) }),
            MetricFamily("plumb_softnet_times_squeezed_total", .counter,
                         help: "Times the CPU's receive processing stopped with work left (net.core.netdev_budget; /proc/net/softnet_stat, 32-bit).",
                         samples: cpus.map { MetricSample([("cpu", String($0.cpu))], .count(UInt64($0.timeSqueeze))) }),
        ]
    }

    // MARK: Watcher

    static func watchFamilies(_ ms: [ManifestMetrics]) -> [MetricFamily] {
        [
            MetricFamily("plumb_watch_repairs_total", .counter, help: "Repairs plumb watch made that converged the manifest again.",
                         samples: ms.map { MetricSample([("manifest", $0.name)], .count($0.watch.repairs)) }),
            MetricFamily("plumb_watch_repair_failures_total", .counter, help: "Repairs plumb watch attempted that failed.",
                         samples: ms.map { MetricSample([("manifest", $0.name)], .count($0.watch.failedRepairs)) }),
            MetricFamily("plumb_watch_last_repair_timestamp_seconds", .gauge,
                         help: "When plumb watch's last repair of the manifest (made or failed) ended, in seconds since the Unix epoch.",
                         samples: ms.compactMap { m in
                             m.watch.lastRepair.map { MetricSample([("manifest", m.name)], .real($0.timeIntervalSince1970)) }
                         }),
        ]
    }
}
