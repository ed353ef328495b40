import PlumbFirewall
import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// `EthtoolOps` over one ethtool genetlink socket.
final class LinuxEthtool: EthtoolOps {
    let socket: EthtoolSocket
    /// The namespace the ioctls must run in (nil: the host's, where Plumb's threads are).
    let namespace: NetworkNamespace?
    init(_ socket: EthtoolSocket, namespace: NetworkNamespace? = nil) { self.socket = socket; self.namespace = namespace }

    /// SIOCETHTOOL names the device in the calling thread's namespace: run it in this family's.
    func inNamespace<T>(_ body: () throws -> T) throws -> T {
        guard let namespace else { return try body() }
        return try namespace.run(body)
    }
    func driverInfo(_ nic: String) throws -> Ethtool.DriverInfo { try socket.driverInfo(nic) }
    func rings(_ nic: String) throws -> Ethtool.Rings { try socket.rings(nic) }
    func channels(_ nic: String) throws -> Ethtool.Channels { try socket.channels(nic) }
    func coalesce(_ nic: String) throws -> Ethtool.Coalesce { try socket.coalesce(nic) }
    func features(_ nic: String) throws -> Ethtool.Features { try socket.features(nic) }
    func setRings(_ nic: String, rx: Int?, tx: Int?) throws { try socket.setRings(nic, rx: rx, tx: tx) }
    func setChannels(_ nic: String, rx: Int?, tx: Int?, combined: Int?) throws {
        try socket.setChannels(nic, rx: rx, tx: tx, combined: combined)
    }
    func setCoalesce(_ nic: String, _ values: [Ethtool.CoalesceParam: Int]) throws { try socket.setCoalesce(nic, values) }
    func setFeatures(_ nic: String, _ values: [String: Bool]) throws { _ = try socket.setFeatures(nic, values) }
    func rss(_ nic: String) throws -> Ethtool.RSS { try socket.rss(nic) }
    func setRSS(_ nic: String, indirection: [Int]?, key: [UInt8]?) throws {
        try inNamespace { try RSSIoctl.set(nic, indirection: indirection, key: key) }
    }
    func hashFields(_ nic: String, _ flow: RxFlowType) throws -> RxHashFields { try inNamespace { try RSSIoctl.hashFields(nic, flow) } }
    func setHashFields(_ nic: String, _ flow: RxFlowType, _ fields: RxHashFields) throws {
        try inNamespace { try RSSIoctl.setHashFields(nic, flow, fields) }
    }
}

/// `FirewallOps` over Plumb's table through libnftables.
final class LinuxFirewall: FirewallOps {
    let table: OwnedTable
    init(_ table: OwnedTable) { self.table = table }
    func observe() throws -> ObservedFirewall? { try table.observe() }
    func replace(with ruleset: NATRuleset, comment: String) throws { try table.replace(with: ruleset, comment: comment) }
    func create(with ruleset: NATRuleset, comment: String) throws { try table.create(with: ruleset, comment: comment) }
    func replace(withText text: String) throws { try table.replace(withText: text) }
    func delete() throws { try table.delete() }
}

/// `SRIOVOps` over /sys.
final class LinuxSRIOV: SRIOVOps {
    let sysfs = SRIOVSysfs()
    func findPF(_ selector: PFSelector) throws -> PhysicalFunction {
        switch selector {
        case .name(let n): return try sysfs.findPF(name: n)
        case .pci(let p): return try sysfs.findPF(pci: p)
        case .mac(let m): return try sysfs.findPF(mac: m.description)
        }
    }
    func findVF(pci: String) throws -> (pf: PhysicalFunction, vf: VirtualFunction) { try sysfs.findVF(pci: pci) }
    func setNumVFs(_ pf: PhysicalFunction, _ n: Int) throws { try sysfs.setNumVFs(pf, n) }
    func waitForVFNetdevs(_ pf: PhysicalFunction, count: Int) throws { _ = try sysfs.waitForVFNetdevs(pf: pf, count: count) }
    func bindVF(pci: String, to driver: String?, keep: Bool) throws { try sysfs.bindVF(pci: pci, to: driver, keep: keep) }
    func pciDriverLoaded(_ name: String) -> Bool { sysfs.pciDriverLoaded(name) }
    func vfioGroupPresent(_ group: Int) -> Bool { Files.exists("/dev/vfio/\(group)") }
}

/// `ProcOps` over procfs and sysfs.
final class LinuxProc: ProcOps {
    func sysctl(_ key: String) throws -> String? {
        guard Sysctls.exists(key) else { return nil }
        return try Sysctls.read(key)
    }
    func setSysctl(_ key: String, _ value: String) throws { try Sysctls.write(key, value) }
    func disableIPv6(link name: String) throws {
        // The path, not a dotted key: interface names may hold dots (sysctl(8) writes them as '/').
        let path = "/proc/sys/net/ipv6/conf/\(name)/disable_ipv6"
        guard Files.exists(path) else { return }
        try Files.writeAttribute(path, "1")
    }
    func queueIRQs(of nic: String) throws -> [QueueIRQ] { try IRQs.queueIRQs(of: nic) }
    func affinity(of irq: Int) throws -> CPUSet { try IRQs.affinity(of: irq) }
    func setAffinity(of irq: Int, to cpus: CPUSet) throws { try IRQs.setAffinity(of: irq, to: cpus) }
    func onlineCPUs() throws -> CPUSet { try IRQs.onlineCPUs() }
    func softnet() -> SoftnetStat? { try? SoftnetStat.read() }
    func queues(of nic: String) throws -> [QueueSteeringState] { try Queues.read(nic) }
    func setQueueCPUs(_ nic: String, queue: String, _ cpus: CPUSet) throws { try Queues.setCPUs(nic, queue, cpus) }
    func setFlowCount(_ nic: String, queue: String, _ count: Int) throws { try Queues.setFlowCount(nic, queue, count) }
    func locality(of nic: String) -> NICLocality? { NUMASysfs().locality(of: nic) }
    func sysfsIndex(of nic: String) -> Int? { Queues.ifindex(nic) }
    func interrupts() -> InterruptsTable? { try? InterruptsTable.read() }
    func irqbalance() -> IRQBalanceProcess? { IRQBalance.running() }
    func read(_ file: ModprobeFile) throws -> String? {
        guard Files.exists(file.path) else { return nil }
        return try Files.read(file.path)
    }
    func write(_ file: ModprobeFile, _ text: String?) throws {
        guard let text else { return try Files.remove(file.path) }
        try Directory.create(String(file.path[..<file.path.lastIndex(of: "/")!]), mode: 0o755)
        try Files.writeAtomically(file.path, Array(text.utf8), mode: 0o644)
    }
}
