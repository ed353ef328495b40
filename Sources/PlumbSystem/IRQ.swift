/// A set of CPUs, written the way the kernel writes and reads them in
/// `/proc/irq/N/smp_affinity_list` and `/sys/devices/system/cpu/online`: "0-3,5".
public struct CPUSet: Hashable, Sendable, CustomStringConvertible, ExpressibleByArrayLiteral {
    /// The largest CPU number accepted (the kernel's NR_CPUS ceiling is 8192).
    public static let maxCPU = 8191

    /// Sorted, without duplicates.
    public private(set) var cpus: [Int]

    public init<S: Sequence<Int>>(_ cpus: S) { self.cpus = Array(Set(cpus)).sorted() }
    public init(arrayLiteral cpus: Int...) { self.init(cpus) }

    /// Parses a CPU list: comma-separated numbers and ranges ("0-3,5"); surrounding
    /// whitespace (the newline sysfs ends with) is ignored and "" is the empty set.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingSpace()
        var cpus: [Int] = []
        if !trimmed.isEmpty {
            for item in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
                cpus += try Self.range(item, in: text)
            }
        }
        self.init(cpus)
    }

    private static func range(_ item: Substring, in text: String) throws -> ClosedRange<Int> {
        let ends = item.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(ends.count) else { throw CPUListError(text: text, reason: "\"\(item)\" is not N or N-M") }
        let low = try number(ends[0], in: text)
        let high = ends.count == 2 ? try number(ends[1], in: text) : low
        guard low <= high else { throw CPUListError(text: text, reason: "range \"\(item)\" ends below its start") }
        return low...high
    }

    private static func number(_ digits: Substring, in text: String) throws -> Int {
        guard !digits.isEmpty, digits.utf8.allSatisfy({ (48...57).contains($0) }), digits.count <= 5,
              let n = Int(digits) else {
            throw CPUListError(text: text, reason: "\"\(digits)\" is not a CPU number")
        }
        guard n <= maxCPU else { throw CPUListError(text: text, reason: "CPU \(n) is beyond \(maxCPU)") }
        return n
    }

    public var isEmpty: Bool { cpus.isEmpty }
    public var count: Int { cpus.count }
    public func contains(_ cpu: Int) -> Bool { cpus.contains(cpu) }

    /// The canonical list, as the kernel prints it: "0-3,5"; "" when empty.
    public var description: String {
        var parts: [String] = []
        var i = 0
        while i < cpus.count {
            var j = i
            while j + 1 < cpus.count && cpus[j + 1] == cpus[j] + 1 { j += 1 }
            parts.append(i == j ? "\(cpus[i])" : "\(cpus[i])-\(cpus[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }
}

/// A CPU list that does not parse: the text and what is wrong with it.
public struct CPUListError: Error, Sendable, CustomStringConvertible {
    public var text: String
    public var reason: String
    public var description: String { "CPU list \"\(text.trimmingSpace())\": \(reason)" }
}

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

/// The NIC's queue interrupts and their CPU affinity (DESIGN.md §1.5, the seeds'
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

    /// The `irqAffinity: spread` plan: one CPU per queue, round-robin over `cpus` in
    /// order, so queue i goes to the i-th CPU (wrapping when there are more queues
    /// than CPUs). Empty when `cpus` is empty.
    public static func spread(_ irqs: [Int], over cpus: CPUSet) -> [IRQAffinity] {
        guard !cpus.isEmpty else { return [] }
        return irqs.enumerated().map { i, irq in
            IRQAffinity(irq: irq, cpus: [cpus.cpus[i % cpus.count]])
        }
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs and newlines (no Foundation here).
    func trimmingSpace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
