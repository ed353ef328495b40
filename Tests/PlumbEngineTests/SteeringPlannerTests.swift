@testable import PlumbEngine
import PlumbNetlink
import PlumbSystem
import PlumbTypes
import Testing

/// Issue 16, first increment, on the fake kernel: the planner's decisions for `rps`, `xps`,
/// `txqueuelen` and any-feature `offloads`, and the apply → re-plan → drift → destroy cycle.
@Suite("Planner: RPS/XPS/RFS, txqueuelen, features")
struct SteeringPlannerTests {
    static let off = Ethtool.Feature(active: false, requested: false, changeable: true)
    static let on = Ethtool.Feature(active: true, requested: true, changeable: true)
    static let fixedOff = Ethtool.Feature(active: false, requested: false, changeable: false)

    /// The standard host, with eth1's four queue pairs in sysfs (no steering yet), its
    /// device local to CPUs 2-3 (a NUMA node of its own), and a handful of features.
    static func world(localCPUs: CPUSet? = [2, 3], sockFlowEntries: String? = "0") -> World {
        let k = FakeKernel.standard()
        k.nics["eth1"]!.queues = (0..<4).map { QueueSteeringState(queue: "rx-\($0)", cpus: [], flowCount: 0) }
            + (0..<4).map { QueueSteeringState(queue: "tx-\($0)", cpus: []) }
        k.nics["eth1"]!.localCPUs = localCPUs
        k.nics["eth1"]!.features.merge(["rx-lro": fixedOff, "rx-gro-list": off, "tx-checksum-ip-generic": on,
                                        "tx-checksum-ipv4": fixedOff, "rx-ntuple-filter": off]) { _, new in new }
        if let sockFlowEntries { k.host.sysctls[Planner.sockFlowEntries] = sockFlowEntries }
        return World(k)
    }

    static func manifest(_ tuning: String, host: String = "") -> String {
        "version: 1\nname: rx\n\(host)nics:\n  - name: eth1\n    tuning:\n      \(tuning)\n"
    }

    func plan(_ w: World, _ tuning: String) throws -> Plan { try w.engine().plan(try layer(Self.manifest(tuning))) }

    func refusal(_ w: World, _ tuning: String) -> String {
        (#expect(throws: PlanErrors.self) { try plan(w, tuning) })?.description ?? ""
    }

    @Test("rps spread: the NIC's local CPUs (local_cpulist 2-3) first, then the others (0, 1), with its RFS table")
    func spreadUsesLocalCPUs() throws {
        let p = try plan(Self.world(), "rps: {cpus: spread, flowEntries: 2048}")
        #expect(lines(p) == (0..<4).map { i in
            let cpu = [2, 3, 0, 1][i], mask = String(1 << cpu, radix: 16)
            return "~ echo \(mask) > /sys/class/net/eth1/queues/rx-\(i)/rps_cpus; echo 2048 > /sys/class/net/eth1/queues/rx-\(i)/rps_flow_cnt   (CPUs \(cpu))"
        })
    }

    @Test("xps spread without a device's local_cpulist uses every online CPU in turn")
    func spreadWithoutLocalCPUs() throws {
        let p = try plan(Self.world(localCPUs: nil), "xps: {cpus: spread}")
        let cpus = p.steps.compactMap { step -> CPUSet? in
            if case .setQueueSteering(let c) = step.action { return c.cpus?.to }
            return nil
        }
        #expect(cpus == [[0], [1], [2], [3]])
        #expect(p.steps.allSatisfy { $0.action.command.contains("/tx-") && $0.action.command.contains("xps_cpus") })
    }

    @Test("irqAffinity spread on NUMA node 1 (CPUs 2-3): queue interrupts on 2, 3, then node 0's 0, 1; verify agrees")
    func irqSpreadNUMA() throws {
        let w = Self.world()
        w.kernel.nics["eth1"]!.numaNode = 1
        let l = try layer(Self.manifest("irqAffinity: spread"))
        let p = try w.engine().plan(l)
        #expect(lines(p) == zip(40..., [2, 3, 0, 1]).map { irq, cpu in
            "~ echo \(cpu) > /proc/irq/\(irq)/smp_affinity_list   (eth1-TxRx-\(irq - 40))"
        })
        #expect(p.notes.contains("spread on eth1: NUMA node 1 CPUs 2-3 first, then the rest of 0-3"), "\(p.notes)")
        try w.engine().apply(l)
        #expect((40...43).map { w.kernel.irqAffinity[$0] } == [[2], [3], [0], [1]])
        #expect(try w.engine().plan(l).steps.isEmpty)
        let check = try w.engine().verify(l).nics.first?.checks.first { $0.name == "irq-affinity" }
        #expect(check?.status == .pass && check?.expected == "2 3 0 1", "\(String(describing: check))")
        // A node holding every online CPU: nothing to say about where spread starts.
        #expect(try Self.world(localCPUs: [0, 1, 2, 3]).engine().plan(l).notes.allSatisfy { !$0.hasPrefix("spread") })
        // Two queues only: both stay on the NIC's node.
        w.kernel.nics["eth1"]!.irqs.removeLast(2)
        #expect(try w.engine().plan(l).steps.isEmpty)
    }

    @Test("a list gives one setting per queue; a count that is not the queue count is refused, naming both")
    func perQueueList() throws {
        let p = try plan(Self.world(), #"rps: [{cpus: "0"}, {cpus: "1"}, {cpus: "2"}, {cpus: "3"}]"#)
        #expect(p.steps.count == 4)
        #expect(refusal(Self.world(), #"rps: [{cpus: "0"}, {cpus: "1"}]"#).contains("nics[0].tuning.rps: 2 settings for 4 queues of eth1"))
    }

    @Test("an offline CPU is refused (the kernel would drop it from the mask, and it would read back as drift)")
    func offlineCPU() {
        #expect(refusal(Self.world(), #"xps: {cpus: "0-5"}"#).contains("nics[0].tuning.xps.cpus: CPU 4-5 is not online (online: 0-3)"))
    }

    @Test("an unknown feature is refused with the close matches and every name the device has")
    func unknownFeature() {
        let text = refusal(Self.world(), "offloads: {rx-gro-lst: true}")
        #expect(text.contains("nics[0].tuning.offloads.rx-gro-lst: eth1 (driver igb) has no feature rx-gro-lst; did you mean rx-gro-list"), "\(text)")
        #expect(text.contains("tx-checksumming"), "\(text)")
    }

    @Test("a fixed feature is refused naming it and the driver; at its fixed value it is simply converged")
    func fixedFeature() throws {
        #expect(refusal(Self.world(), "offloads: {lro: true}")
                .contains("nics[0].tuning.offloads.lro: rx-lro of eth1 (driver igb) is fixed off: the driver does not let it change"))
        #expect(try plan(Self.world(), "offloads: {large-receive-offload: false}").steps.isEmpty)
    }

    @Test("ethtool's legacy name stands for its kernel features: tx-checksumming off turns off the one that is on")
    func legacyName() throws {
        let p = try plan(Self.world(), "offloads: {tx-checksumming: false, ntuple: true}")
        #expect(lines(p) == ["~ ethtool -K eth1 tx-checksumming off", "~ ethtool -K eth1 ntuple on"])
        guard case .setOffload(let c) = p.steps[0].action else { Issue.record("not an offload step"); return }
        #expect(c.features == ["tx-checksum-ip-generic": Change(to: false, from: true)])
    }

    @Test("txqueuelen: ip link set dev eth1 txqueuelen N, nothing when it already is N")
    func txqueuelen() throws {
        #expect(lines(try plan(Self.world(), "txqueuelen: 5000")) == ["~ ip link set dev eth1 txqueuelen 5000"])
        #expect(try plan(Self.world(), "txqueuelen: 1000").steps.isEmpty)
    }

    @Test("RFS: the plan says when net.core.rps_sock_flow_entries is 0 or absent (not the initial namespace)")
    func rfsNotes() throws {
        #expect(try plan(Self.world(), "rps: {cpus: spread, flowEntries: 2048}").notes.contains { $0.contains("rps_sock_flow_entries is 0") })
        #expect(try plan(Self.world(sockFlowEntries: nil), "rps: {cpus: spread, flowEntries: 2048}").notes
                .contains { $0.contains("exists only in the initial network namespace") })
        #expect(try plan(Self.world(sockFlowEntries: "32768"), "rps: {cpus: spread, flowEntries: 2048}").notes
                == ["spread on eth1: local CPUs 2-3 first, then the rest of 0-3"])
    }

    @Test("a /sys mounted in another namespace (its eth1 is another ifindex) is neither read nor written: rps is refused, saying why")
    func foreignSysfs() {
        let w = Self.world()
        w.kernel.sysfsIndex["eth1"] = 77
        let text = refusal(w, "rps: {cpus: spread}")
        #expect(text.contains("nics[0].tuning.rps: eth1 (driver igb) shows no RPS (rps_cpus)"), "\(text)")
        #expect(text.contains("this /sys belongs to another network namespace; mount sysfs in this one"), "\(text)")
    }

    static let all = "{rps: {cpus: spread, flowEntries: 1024}, xps: {cpus: \"0-1\"}, txqueuelen: 3000, offloads: {tx-checksumming: false, rx-gro-list: true}}"

    @Test("apply, re-plan empty, drift repaired, destroy restores rps/xps/flows, txqueuelen and features")
    func lifecycle() throws {
        let w = Self.world()
        let l = try layer("version: 1\nname: rx\nnics:\n  - name: eth1\n    tuning: \(Self.all)\n")
        let before = (w.kernel.nics["eth1"]!, w.kernel.host.link(named: "eth1")!.txqlen)
        try w.engine().apply(l)
        #expect(w.kernel.nics["eth1"]!.queues.map(\.cpus) == [[2], [3], [0], [1], [0, 1], [0, 1], [0, 1], [0, 1]])
        #expect(w.kernel.nics["eth1"]!.queues.prefix(4).allSatisfy { $0.flowCount == 1024 })
        #expect(w.kernel.host.link(named: "eth1")!.txqlen == 3000)
        #expect(w.kernel.nics["eth1"]!.features["tx-checksum-ip-generic"]?.active == false)
        #expect(w.kernel.nics["eth1"]!.features["rx-gro-list"]?.active == true)
        #expect(try w.engine().plan(l).steps.isEmpty)

        w.kernel.nics["eth1"]!.queues[1].cpus = [0]
        w.kernel.nics["eth1"]!.features["rx-gro-list"]!.active = false
        #expect(lines(try w.engine().plan(l)) == ["~ ethtool -K eth1 rx-gro-list on",
                                                 "~ echo 8 > /sys/class/net/eth1/queues/rx-1/rps_cpus   (CPUs 3)"])
        try w.engine().apply(l)
        #expect(try w.engine().plan(l).steps.isEmpty)

        try w.engine().destroy(l.owner)
        #expect(w.kernel.nics["eth1"]!.queues == before.0.queues)
        #expect(w.kernel.nics["eth1"]!.features == before.0.features)
        #expect(w.kernel.host.link(named: "eth1")!.txqlen == before.1)
        #expect(w.recordFiles().isEmpty)
    }

    @Test("destroy through a /sys of another namespace writes no queue and says why")
    func destroyThroughForeignSysfs() throws {
        let w = Self.world()
        let l = try layer("version: 1\nname: rx\nnics:\n  - name: eth1\n    tuning: {rps: {cpus: spread}}\n")
        try w.engine().apply(l)
        let applied = w.kernel.nics["eth1"]!.queues
        w.kernel.sysfsIndex["eth1"] = 77
        let plan = try w.engine().destroy(l.owner)
        #expect(plan.steps.isEmpty)
        #expect(plan.notes.contains { $0.contains("the queue steering of eth1 cannot be restored") && $0.contains("another network namespace") }, "\(plan.notes)")
        #expect(w.kernel.nics["eth1"]!.queues == applied)
    }

    @Test("a failure at the third queue write rolls every change back")
    func rollback() throws {
        let w = Self.world()
        let start = w.kernel.snapshot()
        let before = w.kernel.nics["eth1"]!
        w.kernel.fail("setQueueCPUs", with: .invalid, skip: 2)
        let l = try layer("version: 1\nname: rx\nnics:\n  - name: eth1\n    tuning: \(Self.all)\n")
        #expect(throws: ApplyError.self) { try w.engine().apply(l) }
        #expect(w.kernel.nics["eth1"]! == before)
        expectSame(w.kernel.snapshot(), start, "after the rollback")
    }
}
