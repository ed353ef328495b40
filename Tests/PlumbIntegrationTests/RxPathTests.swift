import Foundation
import Testing

/// Issue 16 "Must show" 1 and 3 (sandbox part), on a veth with four queue pairs: RPS, RFS and
/// XPS through the sandbox's own sysfs (mounted inside it: sysfs shows the namespace it was
/// mounted in), checked by reading the files with `cat`; txqueuelen and features checked with
/// `ip -j link` and `ethtool -k`; the advisor's JSON on a veth.
@Suite("Receive path: RPS/XPS/RFS, txqueuelen, features, advisor", .timeLimit(.minutes(10)))   // time waiting in Heavy's queue counts
struct RxPathTests {
    static let steering = """
        version: 1
        name: rx
        nics:
          - name: vt0
            tuning:
              rps: {cpus: spread, flowEntries: 2048}
              xps: {cpus: "0"}
        """

    /// What the files under /sys/class/net/vt0/queues said at each stage.
    struct SteeringRun: Sendable {
        var online: [Int] = []
        var before: [String: String] = [:], applied: [String: String] = [:], repaired: [String: String] = [:]
        var destroyed: [String: String] = [:]
        var plan = "", verify = "", verifyStatus: Int32 = -1
        var converged: Int32 = -1, drift: Int32 = -1, driftText = "", reconverged: Int32 = -1, destroy: Int32 = -1
    }

    @Test("RPS, RFS and XPS: applied and verified against sysfs read with cat, re-planned empty, drift repaired, restored by destroy")
    func steeringLifecycle() async throws {
        let r = try await Heavy.run { () throws -> SteeringRun in
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            try sandbox.addTunableVeth()
            try sandbox.mountOwnSysfs()
            let manifest = try sandbox.writeManifest(Self.steering)
            var r = SteeringRun()
            r.online = try sandbox.onlineCPUs()
            r.before = try sandbox.queueFiles("vt0")
            r.plan = try sandbox.plumb("plan", manifest).stdout
            try sandbox.mustApply(manifest)
            r.applied = try sandbox.queueFiles("vt0")
            let verify = try sandbox.plumb("verify", manifest)
            (r.verify, r.verifyStatus) = (verify.stdout, verify.status)
            r.converged = try sandbox.plumb("plan", manifest, "--detailed-exitcode").status
            try sandbox.must(["/bin/sh", "-c", "echo 0 > /sys/class/net/vt0/queues/rx-1/rps_cpus; echo 0 > /sys/class/net/vt0/queues/tx-2/xps_cpus"])
            let drift = try sandbox.plumb("plan", manifest, "--detailed-exitcode")
            (r.drift, r.driftText) = (drift.status, drift.stdout)
            try sandbox.mustApply(manifest)
            r.repaired = try sandbox.queueFiles("vt0")
            r.reconverged = try sandbox.plumb("plan", manifest, "--detailed-exitcode").status
            r.destroy = try sandbox.plumb("destroy", manifest).status
            r.destroyed = try sandbox.queueFiles("vt0")
            return r
        }
        try #require(!r.online.isEmpty, "no online CPUs read")
        #expect(r.before.values.allSatisfy { $0 == "" || $0 == "0" }, "the veth started with steering: \(r.before)")
        // spread on a veth (no device, so no local_cpulist): queue i → the i-th online CPU.
        let wanted = (0..<4).map { r.online[$0 % r.online.count] }
        for q in 0..<4 {
            #expect(r.applied["rx-\(q)/rps_cpus"] == String(wanted[q]), "rx-\(q): \(r.applied)")
            #expect(r.applied["rx-\(q)/rps_flow_cnt"] == "2048", "rx-\(q): \(r.applied)")
            #expect(r.applied["tx-\(q)/xps_cpus"] == "0", "tx-\(q): \(r.applied)")
        }
        #expect(r.plan.contains("echo 2048 > /sys/class/net/vt0/queues/rx-0/rps_flow_cnt"), "\(r.plan)")
        #expect(r.plan.contains("rps_sock_flow_entries exists only in the initial network namespace"), "\(r.plan)")
        #expect(r.verifyStatus == 0, "\(r.verify)")
        #expect(r.verify.contains("PASS  vt0 rps") && r.verify.contains("PASS  vt0 xps"), "\(r.verify)")
        #expect(r.converged == 0)
        #expect(r.drift == 2, "\(r.driftText)")
        #expect(r.driftText.contains("/sys/class/net/vt0/queues/rx-1/rps_cpus") && r.driftText.contains("/queues/tx-2/xps_cpus"), "\(r.driftText)")
        #expect(r.repaired == r.applied)
        #expect(r.reconverged == 0)
        #expect(r.destroy == 0)
        #expect(r.destroyed == r.before, "destroy left \(r.destroyed), was \(r.before)")
    }

    struct FaultRun: Sendable { var apply: CommandResult; var before: [String: String]; var after: [String: String]; var qlen: Int }

    @Test("a failure injected at the third queue write (PLUMB_FAULT_STEP=4) puts txqueuelen and every queue back")
    func faultRollsBackQueues() async throws {
        let text = """
            version: 1
            name: rx
            nics:
              - name: vt0
                tuning:
                  txqueuelen: 2500
                  rps: {cpus: spread, flowEntries: 1024}
            """
        let r = try await Heavy.run { () throws -> FaultRun in
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            try sandbox.addTunableVeth()
            try sandbox.mountOwnSysfs()
            let manifest = try sandbox.writeManifest(text)
            let before = try sandbox.queueFiles("vt0")
            let apply = try sandbox.plumb("apply", manifest, environment: ["PLUMB_FAULT_STEP": "4"])
            return FaultRun(apply: apply, before: before, after: try sandbox.queueFiles("vt0"), qlen: try sandbox.txqlen("vt0"))
        }
        #expect(r.apply.status == 1, "\(r.apply)")
        #expect(r.apply.stderr.contains("injected fault") && r.apply.stderr.contains("/sys/class/net/vt0/queues/rx-2/rps_cpus"), "step 4 is not rx-2:\n\(r.apply)")
        #expect(r.after == r.before, "after the rollback \(r.after), before \(r.before)")
        #expect(r.qlen == 1000)
    }

    static let toggles = """
        version: 1
        name: rx
        nics:
          - name: vt0
            tuning:
              txqueuelen: 2500
              offloads: {tx-checksumming: false, rx-gro-list: true}
        """

    struct ToggleRun: Sendable {
        var before: [String: String] = [:], applied: [String: String] = [:], destroyed: [String: String] = [:]
        var qlenBefore = -1, qlenApplied = -1, qlenRepaired = -1, qlenDestroyed = -1
        var converged: Int32 = -1, drift: Int32 = -1, driftText = "", destroy: Int32 = -1
    }

    @Test("txqueuelen and any feature by its ethtool -k name: toggled (ip -j link, ethtool -k), drift repaired, restored by destroy")
    func txqueuelenAndFeatures() async throws {
        let r = try await Heavy.run { () throws -> ToggleRun in
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            try sandbox.addTunableVeth()
            let manifest = try sandbox.writeManifest(Self.toggles)
            var r = ToggleRun()
            (r.before, r.qlenBefore) = (try sandbox.features("vt0"), try sandbox.txqlen("vt0"))
            try sandbox.mustApply(manifest)
            (r.applied, r.qlenApplied) = (try sandbox.features("vt0"), try sandbox.txqlen("vt0"))
            r.converged = try sandbox.plumb("plan", manifest, "--detailed-exitcode").status
            try sandbox.must(["ip", "link", "set", "dev", "vt0", "txqueuelen", "1500"])
            try sandbox.must(["ethtool", "-K", "vt0", "rx-gro-list", "off"])
            let drift = try sandbox.plumb("plan", manifest, "--detailed-exitcode")
            (r.drift, r.driftText) = (drift.status, drift.stdout)
            try sandbox.mustApply(manifest)
            r.qlenRepaired = try sandbox.txqlen("vt0")
            r.destroy = try sandbox.plumb("destroy", manifest).status
            (r.destroyed, r.qlenDestroyed) = (try sandbox.features("vt0"), try sandbox.txqlen("vt0"))
            return r
        }
        try #require(r.before["tx-checksumming"] == "on" && r.before["rx-gro-list"] == "off", "veth defaults changed: \(r.before)")
        #expect(r.qlenBefore == 1000)
        #expect(r.qlenApplied == 2500)
        #expect(r.applied["tx-checksumming"] == "off" && r.applied["rx-gro-list"] == "on", "\(r.applied)")
        #expect(r.converged == 0)
        #expect(r.drift == 2)
        #expect(r.driftText.contains("ip link set dev vt0 txqueuelen 2500") && r.driftText.contains("ethtool -K vt0 rx-gro-list on"), "\(r.driftText)")
        #expect(r.qlenRepaired == 2500)
        #expect(r.destroy == 0)
        #expect(r.qlenDestroyed == 1000)
        #expect(r.destroyed == r.before, "features after destroy differ: \(r.destroyed.filter { r.before[$0.key] != $0.value })")
    }

    struct Refusal: Sendable { var plan: CommandResult; var apply: CommandResult; var before: [String: String]; var after: [String: String] }

    @Test("a fixed feature (large-receive-offload on a veth) and an unknown one are refused naming them and the driver; nothing changes")
    func fixedFeatureRefused() async throws {
        let text = """
            version: 1
            name: rx
            nics:
              - name: vt0
                tuning:
                  txqueuelen: 2500
                  offloads: {lro: true, rx-gro-lst: true}
            """
        let r = try await Heavy.run { () throws -> Refusal in
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            try sandbox.addTunableVeth()
            let manifest = try sandbox.writeManifest(text)
            let before = try sandbox.features("vt0").merging(["qlen": String(try sandbox.txqlen("vt0"))]) { a, _ in a }
            let plan = try sandbox.plumb("plan", manifest), apply = try sandbox.plumb("apply", manifest)
            let after = try sandbox.features("vt0").merging(["qlen": String(try sandbox.txqlen("vt0"))]) { a, _ in a }
            return Refusal(plan: plan, apply: apply, before: before, after: after)
        }
        for result in [r.plan, r.apply] {
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("nics[0].tuning.offloads.lro: rx-lro of vt0 (driver veth) is fixed off"), "\(result)")
            #expect(result.stderr.contains("nics[0].tuning.offloads.rx-gro-lst: vt0 (driver veth) has no feature rx-gro-lst; did you mean rx-gro-list"), "\(result)")
        }
        #expect(r.after == r.before)
    }

    @Test("coalescing in full on a veth (the kernel has no coalescing for it) is refused naming the driver and why; nothing changes")
    func coalesceRefused() async throws {
        let text = """
            version: 1
            name: rx
            nics:
              - name: vt0
                tuning:
                  txqueuelen: 2500
                  coalesce: {adaptiveTx: true, txUsecs: 100, rxFramesIrq: 4}
            """
        let r = try await Heavy.run { () throws -> Refusal in
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            try sandbox.addTunableVeth()
            let manifest = try sandbox.writeManifest(text)
            let before = ["qlen": String(try sandbox.txqlen("vt0"))]
            let plan = try sandbox.plumb("plan", manifest), apply = try sandbox.plumb("apply", manifest)
            return Refusal(plan: plan, apply: apply, before: before, after: ["qlen": String(try sandbox.txqlen("vt0"))])
        }
        for result in [r.plan, r.apply] {
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("nics[0].tuning.coalesce: vt0 (driver veth) does not support coalesce: ETHTOOL_MSG_COALESCE_GET vt0")
                    && result.stderr.contains("EOPNOTSUPP"), "\(result)")
        }
        #expect(r.after == r.before)
    }

    @Test("rss on a veth (no RSS in its driver) is refused naming the driver and the kernel's answer; nothing changes")
    func rssRefused() async throws {
        let text = """
            version: 1
            name: rx
            nics:
              - name: vt0
                tuning:
                  txqueuelen: 2500
                  rss: {equal: 2, hashFields: {tcp4: sdfn}}
            """
        let r = try await Heavy.run { () throws -> Refusal in
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            try sandbox.addTunableVeth()
            let manifest = try sandbox.writeManifest(text)
            let before = ["qlen": String(try sandbox.txqlen("vt0"))]
            let plan = try sandbox.plumb("plan", manifest), apply = try sandbox.plumb("apply", manifest)
            return Refusal(plan: plan, apply: apply, before: before, after: ["qlen": String(try sandbox.txqlen("vt0"))])
        }
        for result in [r.plan, r.apply] {
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("nics[0].tuning.rss: vt0 (driver veth) does not support rss: ETHTOOL_MSG_RSS_GET vt0")
                    && result.stderr.contains("EOPNOTSUPP"), "\(result)")
        }
        #expect(r.after == r.before)
    }

    @Test("RFS's host-wide table declared in a network namespace is refused like netdev_budget, naming why; nothing changes")
    func sockFlowEntriesRefused() async throws {
        let text = """
            version: 1
            name: rx
            host:
              sysctl: {net.core.rps_sock_flow_entries: 32768}
            nics:
              - name: vt0
                tuning:
                  rps: {cpus: "0", flowEntries: 2048}
            """
        let r = try await Heavy.run { () throws -> Refusal in
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            try sandbox.addTunableVeth()
            try sandbox.mountOwnSysfs()
            let before = try sandbox.queueFiles("vt0")
            let manifest = try sandbox.writeManifest(text)
            let plan = try sandbox.plumb("plan", manifest), apply = try sandbox.plumb("apply", manifest)
            return Refusal(plan: plan, apply: apply, before: before, after: try sandbox.queueFiles("vt0"))
        }
        for result in [r.plan, r.apply] {
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("host.sysctl.net.core.rps_sock_flow_entries: no such sysctl here")
                    && result.stderr.contains("exist only in the initial network namespace"), "\(result)")
        }
        #expect(r.after == r.before)
    }

    struct AdviceJSON: Decodable {
        struct Item: Decodable { var knob: String; var counter: String; var delta: UInt64?; var snippet: String }
        var nic: String
        var driver: String
        var advice: [Item]
        var unreadable: [String: String]
    }

    @Test("plumb show --nic vt0 --advise --output json: well-formed, says what a veth cannot show, invents no ring/IRQ advice")
    func adviseOnVeth() async throws {
        let result = try await Heavy.run { () throws -> CommandResult in
            let sandbox = try Sandbox()
            defer { sandbox.close() }
            try sandbox.addTunableVeth()
            return try sandbox.plumb("show", "--nic", "vt0", "--advise", "--interval", "0.3", "--output", "json")
        }
        #expect(result.status == 0, "\(result)")
        let report = try JSONDecoder().decode(AdviceJSON.self, from: Data(result.stdout.utf8))
        #expect(report.nic == "vt0" && report.driver == "veth")
        #expect(report.unreadable["rings"] != nil, "\(report.unreadable)")
        #expect(report.unreadable["interrupts"] != nil, "\(report.unreadable)")
        #expect(report.unreadable["net.core.netdev_budget"]?.contains("initial network namespace") == true, "\(report.unreadable)")
        #expect(!report.advice.contains { ["rings", "irqAffinity", "rps", "netdev_budget"].contains($0.knob) }, "\(report.advice.map(\.knob))")
        #expect(report.advice.allSatisfy { !$0.counter.isEmpty && $0.snippet.hasPrefix("nics:\n  - name: vt0\n") })
    }
}

extension Sandbox {
    /// Mounts a sysfs of the sandbox's own network namespace over /sys, in the sandbox's
    /// private mount namespace (the host's /sys would show the host's devices).
    func mountOwnSysfs() throws {
        try must(["mount", "-t", "sysfs", "sysfs", "/sys"])
        // Thrown, not #require: this runs on a Heavy thread, outside the test's task.
        guard try exists("/sys/class/net/vt0/queues/rx-0") else {
            throw SubprocessError(description: "the sandbox's own sysfs does not show vt0's queues")
        }
    }

    /// `cat /sys/devices/system/cpu/online`, expanded.
    func onlineCPUs() throws -> [Int] {
        try must(["cat", "/sys/devices/system/cpu/online"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            .split(separator: ",").flatMap { item -> [Int] in
                let ends = item.split(separator: "-").compactMap { Int($0) }
                return ends.count == 2 ? Array(ends[0]...ends[1]) : ends
            }
    }

    /// "rx-0/rps_cpus" → the CPU list its hex mask stands for ("0", "1", "0-1" as numbers joined
    /// by "," — "" for none), "rx-0/rps_flow_cnt" → its number: read with cat, no plumb code.
    func queueFiles(_ dev: String) throws -> [String: String] {
        let text = try must(["/bin/sh", "-c", "cd /sys/class/net/\(dev)/queues && grep -H . rx-*/rps_cpus rx-*/rps_flow_cnt tx-*/xps_cpus"]).stdout
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let file = String(line[..<colon]), value = String(line[line.index(after: colon)...])
            if file.hasSuffix("_cpus") {
                let bits = UInt64(value.replacingOccurrences(of: ",", with: ""), radix: 16) ?? UInt64.max
                out[file] = (0..<64).filter { bits & (1 << UInt64($0)) != 0 }.map(String.init).joined(separator: ",")
            } else {
                out[file] = value
            }
        }
        return out
    }

    /// Every line of `ethtool -k DEV` as name → "on"/"off" (without " [fixed]").
    func features(_ dev: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for line in try must(["ethtool", "-k", dev]).stdout.split(separator: "\n").dropFirst() {
            let parts = line.trimmingCharacters(in: .whitespaces).split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            out[String(parts[0])] = String(parts[1].trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
        }
        return out
    }

    /// `txqlen` of `ip -j link show dev DEV`.
    func txqlen(_ dev: String) throws -> Int {
        let text = try must(["ip", "-j", "link", "show", "dev", dev]).stdout
        guard let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]],
              let q = json.first?["txqlen"] as? Int else {
            throw SubprocessError(description: "no txqlen in ip -j link show dev \(dev): \(text)")
        }
        return q
    }
}
