import PlumbTypes
/// One interrupt vector of a NIC, e.g. 125 named "eth1-TxRx-0".
public struct QueueIRQ: Hashable, Sendable, CustomStringConvertible {
    public var irq: Int
    /// The action name from /proc/interrupts ("" when the vector has none).
    public var name: String
    public init(irq: Int, name: String) { self.irq = irq; self.name = name }
    public var description: String { name.isEmpty ? "\(irq)" : "\(irq) \(name)" }
}

/// An IRQ and the CPUs it should be (or is) delivered to.
public struct IRQAffinity: Hashable, Sendable, CustomStringConvertible {
    public var irq: Int
    public var cpus: CPUSet
    public init(irq: Int, cpus: CPUSet) { self.irq = irq; self.cpus = cpus }
    public var description: String { "irq \(irq) → \(cpus)" }
}

/// The NIC's queue interrupts and their CPU affinity (the README's tuning section, the seeds'
/// `grep eth1 /proc/interrupts` and `echo 2 > /proc/irq/N/smp_affinity_list`).
/// IRQs and CPUs are host-wide: read and write them from the initial namespace,
/// where the physical NIC's sysfs entry is.
public enum IRQs {
    /// The device's MSI/MSI-X vectors (empty for a device without MSI, like veth).
    /// Equivalent to: `ls /sys/class/net/IFNAME/device/msi_irqs`.
    public static func msiVectors(of ifname: String) throws -> [Int] {
        let dir = "/sys/class/net/\(ifname)/device/msi_irqs"
        guard Files.exists(dir) else { return [] }
        return try Directory.entries(dir).compactMap { Int($0) }.sorted()
    }

    /// The device's queue vectors with their names, in vector order.
    /// Equivalent to: `grep IFNAME- /proc/interrupts`, limited to the device's own vectors.
    public static func queueIRQs(of ifname: String) throws -> [QueueIRQ] {
        queueIRQs(ifname: ifname, vectors: try msiVectors(of: ifname), interrupts: try InterruptsTable.read())
    }

    /// The queue vectors among `vectors`: those named "IFNAME-…" (igb/ixgbe/i40e/igbvf:
    /// "eth1-TxRx-0", "eth1-rx-0"), which leaves out the link/misc vector named just
    /// "eth1". When no vector is named after the interface (drivers that name by PCI
    /// address or by driver, e.g. virtio or mlx5), all of the device's vectors.
    public static func queueIRQs(ifname: String, vectors: [Int], interrupts: InterruptsTable) -> [QueueIRQ] {
        let all = vectors.sorted().map { QueueIRQ(irq: $0, name: interrupts[$0]?.actions.joined(separator: ",") ?? "") }
        let named = all.filter { $0.name.hasPrefix(ifname + "-") }
        return named.isEmpty ? all : named
    }

    public static func affinityPath(_ irq: Int) -> String { "/proc/irq/\(irq)/smp_affinity_list" }

    /// Equivalent to: `cat /proc/irq/N/smp_affinity_list`.
    public static func affinity(of irq: Int) throws -> CPUSet {
        try CPUSet(parsing: Files.read(affinityPath(irq)))
    }

    /// Kernel-managed vectors (most NVMe and virtio queues) refuse with EIO.
    /// Equivalent to: `echo LIST > /proc/irq/N/smp_affinity_list`.
    public static func setAffinity(of irq: Int, to cpus: CPUSet) throws {
        try Files.writeAttribute(affinityPath(irq), cpus.description)
    }

    /// Equivalent to: `cat /sys/devices/system/cpu/online`.
    public static func onlineCPUs() throws -> CPUSet {
        try CPUSet(parsing: Files.read("/sys/devices/system/cpu/online"))
    }

    /// One CPU per queue, round-robin over `cpus` in order, so queue i goes to the i-th
    /// CPU (wrapping when there are more queues than CPUs). Empty when `cpus` is empty.
    public static func spread(_ irqs: [Int], over cpus: CPUSet) -> [IRQAffinity] {
        spread(irqs, inOrder: cpus.cpus)
    }

    /// The `irqAffinity: spread` plan: queue i → `order[i]`, wrapping. The planner passes
    /// `NUMA.spreadOrder`, the NIC's local CPUs first, so interrupts stay on its node while
    /// it has CPUs for them.
    public static func spread(_ irqs: [Int], inOrder order: [Int]) -> [IRQAffinity] {
        guard !order.isEmpty else { return [] }
        return irqs.enumerated().map { i, irq in
            IRQAffinity(irq: irq, cpus: [order[i % order.count]])
        }
    }
}
