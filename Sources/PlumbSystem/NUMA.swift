import PlumbTypes

/// Where a NIC's device sits: its NUMA node and the CPUs local to it.
public struct NICLocality: Hashable, Sendable, Codable, CustomStringConvertible {
    /// `device/numa_node`; nil when the device does not say (-1: one node, or the firmware is silent).
    public var node: Int?
    public var cpus: CPUSet
    public init(node: Int?, cpus: CPUSet) { self.node = node; self.cpus = cpus }
    public var description: String { node.map { "NUMA node \($0), CPUs \(cpus)" } ?? "local CPUs \(cpus)" }
}

/// Reads a NIC's NUMA locality from sysfs (a root other than /sys for the fixture trees).
public struct NUMASysfs: Sendable {
    public let root: String
    public init(sysfsRoot: String = "/sys") { root = sysfsRoot }

    /// The device's `local_cpulist`; without one, the CPUs of its `numa_node`
    /// (`/sys/devices/system/node/nodeN/cpulist`). nil for a link without a device (veth,
    /// bridge) or a device that names neither.
    /// Equivalent to: `cat /sys/class/net/NIC/device/{numa_node,local_cpulist}`.
    public func locality(of nic: String) -> NICLocality? {
        let device = "\(root)/class/net/\(nic)/device"
        let node = text("\(device)/numa_node").flatMap { Int($0) }.flatMap { $0 >= 0 ? $0 : nil }
        if let cpus = text("\(device)/local_cpulist").flatMap({ try? CPUSet(parsing: $0) }), !cpus.isEmpty {
            return NICLocality(node: node, cpus: cpus)
        }
        guard let node, let cpus = text("\(root)/devices/system/node/node\(node)/cpulist").flatMap({ try? CPUSet(parsing: $0) }),
              !cpus.isEmpty else { return nil }
        return NICLocality(node: node, cpus: cpus)
    }

    /// Equivalent to: `cat /sys/devices/system/cpu/online`.
    public func onlineCPUs() throws -> CPUSet {
        try CPUSet(parsing: Files.read("\(root)/devices/system/cpu/online"))
    }

    func text(_ path: String) -> String? {
        guard Files.exists(path), let t = try? Files.read(path) else { return nil }
        let trimmed = t.trimmingSpace()
        return trimmed.isEmpty ? nil : trimmed
    }
}

public enum NUMA {
    /// The order a `spread` policy hands out CPUs: the online CPUs local to the NIC first,
    /// then every other online CPU — so queues land on the NIC's own node while it has CPUs
    /// for them, and only the queues beyond spill to the other nodes. Without a locality
    /// (or with no online CPU in it), the online CPUs in order.
    public static func spreadOrder(local: CPUSet?, online: CPUSet) -> [Int] {
        guard !online.isEmpty else { return local?.cpus ?? [] }
        let near = (local?.cpus ?? []).filter { online.contains($0) }
        return near + online.cpus.filter { !near.contains($0) }
    }
}
