import PlumbEngine
import PlumbSystem
import PlumbTypes

/// procfs and the modprobe.d file on the fake kernel: sysctls of the host namespace
/// (a key the fake does not have is absent, as in a namespace that lacks it), queue
/// interrupts of the host's NICs and their affinities (only online CPUs accepted).
final class FakeProc: ProcOps {
    let kernel: FakeKernel
    init(kernel: FakeKernel) { self.kernel = kernel }

    func sysctl(_ key: String) throws -> String? { kernel.host.sysctls[key] }

    func setSysctl(_ key: String, _ value: String) throws {
        let path = SysctlKeys.path(key)
        try kernel.enter("setSysctl") { SystemError("write", path, $0) }
        guard kernel.host.sysctls[key] != nil else { throw SystemError("open", path, .noEntry) }
        kernel.host.sysctls[key] = value
    }

    func disableIPv6(link name: String) throws {
        try kernel.enter("disableIPv6") { SystemError("write", "/proc/sys/net/ipv6/conf/\(name)/disable_ipv6", $0) }
        guard let id = kernel.id(of: name) else {
            throw SystemError("open", "/proc/sys/net/ipv6/conf/\(name)/disable_ipv6", .noEntry)
        }
        kernel.update(id) { $0.noIPv6Addresses = true }
    }

    func queueIRQs(of nic: String) throws -> [QueueIRQ] {
        guard let n = kernel.nics[nic], kernel.host.link(named: nic) != nil else {
            throw SystemError("read", "/sys/class/net/\(nic)/device/msi_irqs", .noEntry)
        }
        return n.irqs
    }

    func affinity(of irq: Int) throws -> CPUSet {
        guard let cpus = kernel.irqAffinity[irq] else { throw SystemError("read", IRQs.affinityPath(irq), .noEntry) }
        return cpus
    }

    func setAffinity(of irq: Int, to cpus: CPUSet) throws {
        let path = IRQs.affinityPath(irq)
        try kernel.enter("setAffinity") { SystemError("write", path, $0) }
        guard kernel.irqAffinity[irq] != nil else { throw SystemError("open", path, .noEntry) }
        guard !cpus.isEmpty, cpus.cpus.allSatisfy(kernel.online.contains) else { throw SystemError("write", path, .invalid) }
        kernel.irqAffinity[irq] = cpus
    }

    func onlineCPUs() throws -> CPUSet { kernel.online }

    func queues(of nic: String) throws -> [QueueSteeringState] {
        guard kernel.host.link(named: nic) != nil else { throw SystemError("open", "/sys/class/net/\(nic)/queues", .noEntry) }
        return kernel.nics[nic]?.queues ?? []
    }

    func setQueueCPUs(_ nic: String, queue: String, _ cpus: CPUSet) throws {
        let path = Queues.path(nic, queue, queue.hasPrefix("rx-") ? "rps_cpus" : "xps_cpus")
        try kernel.enter("setQueueCPUs") { SystemError("write", path, $0) }
        guard cpus.cpus.allSatisfy(kernel.online.contains) else { throw SystemError("write", path, .invalid) }
        try updateQueue(nic, queue, path) { $0.cpus = cpus }
    }

    func setFlowCount(_ nic: String, queue: String, _ count: Int) throws {
        let path = Queues.path(nic, queue, "rps_flow_cnt")
        try kernel.enter("setFlowCount") { SystemError("write", path, $0) }
        try updateQueue(nic, queue, path) { $0.flowCount = count }
    }

    func updateQueue(_ nic: String, _ queue: String, _ path: String, _ body: (inout QueueSteeringState) -> Void) throws {
        guard var n = kernel.nics[nic], let i = n.queues.firstIndex(where: { $0.queue == queue }) else {
            throw SystemError("open", path, .noEntry)
        }
        body(&n.queues[i])
        kernel.nics[nic] = n
    }

    func locality(of nic: String) -> NICLocality? {
        kernel.nics[nic]?.localCPUs.map { NICLocality(node: kernel.nics[nic]?.numaNode, cpus: $0) }
    }
    func sysfsIndex(of nic: String) -> Int? { kernel.sysfsIndex[nic] ?? kernel.host.link(named: nic)?.index }
    func interrupts() -> InterruptsTable? { kernel.interruptsTable }
    func irqbalance() -> IRQBalanceProcess? { kernel.irqbalance }
    func softnet() -> SoftnetStat? { kernel.softnetStat }
    func read(_ file: ModprobeFile) throws -> String? { kernel.files[file] }

    func write(_ file: ModprobeFile, _ text: String?) throws {
        try kernel.enter("writeModprobe") { SystemError("write", file.path, $0) }
        kernel.files[file] = text
    }
}
