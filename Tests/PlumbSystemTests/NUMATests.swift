import Testing
import PlumbTypes
@testable import PlumbSystem

/// `irqAffinity: spread` and `cpus: spread` on a two-node machine: the NIC's node first.
@Suite("NUMA locality and the spread order")
struct NUMATests {
    @Test("eth1's device on node 1: its locality is node 1 with local_cpulist 2-3")
    func localCPUList() throws {
        let f = try SysfsFixture()
        try f.tree.makeNUMA()
        let numa = NUMASysfs(sysfsRoot: f.root)
        #expect(numa.locality(of: "eth1") == NICLocality(node: 1, cpus: [2, 3]))
        #expect(numa.locality(of: "eth1")?.description == "NUMA node 1, CPUs 2-3")
        #expect(try numa.onlineCPUs() == [0, 1, 2, 3])
    }

    @Test("without local_cpulist the node's own cpulist is read (/sys/devices/system/node/node1/cpulist)")
    func nodeCPUList() throws {
        let f = try SysfsFixture()
        try f.tree.makeNUMA(localCPUList: false)
        #expect(NUMASysfs(sysfsRoot: f.root).locality(of: "eth1") == NICLocality(node: 1, cpus: [2, 3]))
    }

    @Test("no locality for a device at numa_node -1 without local_cpulist, nor for a link without a device")
    func noLocality() throws {
        let f = try SysfsFixture()
        try f.tree.makeNUMA()
        let numa = NUMASysfs(sysfsRoot: f.root)
        #expect(numa.locality(of: "eth0") == nil)
        #expect(numa.locality(of: "br0") == nil)
        #expect(numa.locality(of: "nonesuch") == nil)
    }

    @Test("queue interrupts go to node 1's CPUs first, then node 0's, wrapping over all four")
    func spreadLocalFirst() throws {
        let f = try SysfsFixture()
        try f.tree.makeNUMA()
        let numa = NUMASysfs(sysfsRoot: f.root)
        let order = NUMA.spreadOrder(local: numa.locality(of: "eth1")?.cpus, online: try numa.onlineCPUs())
        #expect(order == [2, 3, 0, 1])
        #expect(IRQs.spread([40, 41], inOrder: order).map(\.cpus) == [[2], [3]])
        #expect(IRQs.spread([40, 41, 42, 43, 44, 45], inOrder: order).map(\.cpus) == [[2], [3], [0], [1], [2], [3]])
    }

    @Test("an offline CPU of the node is skipped; the rest of the node still comes first")
    func offlineLocal() throws {
        let f = try SysfsFixture()
        try f.tree.makeNUMA(online: "0-2")
        let numa = NUMASysfs(sysfsRoot: f.root)
        #expect(NUMA.spreadOrder(local: numa.locality(of: "eth1")?.cpus, online: try numa.onlineCPUs()) == [2, 0, 1])
    }

    @Test("without a locality the order is the online CPUs; without online CPUs, the local ones")
    func fallbacks() {
        #expect(NUMA.spreadOrder(local: nil, online: [0, 1, 2, 3]) == [0, 1, 2, 3])
        #expect(NUMA.spreadOrder(local: [2, 3], online: []) == [2, 3])
        #expect(NUMA.spreadOrder(local: nil, online: []).isEmpty)
    }
}
