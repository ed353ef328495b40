import PlumbTypes

/// One queue's packet steering as sysfs shows it under `/sys/class/net/NIC/queues/`:
/// rx-N has `rps_cpus` and `rps_flow_cnt` (RPS and RFS), tx-N has `xps_cpus` (XPS).
/// A file the kernel lacks (no CONFIG_RPS/XPS, XPS on a single-queue device) is nil.
public struct QueueSteeringState: Hashable, Sendable, Codable {
    /// "rx-0", "tx-3".
    public var queue: String
    public var cpus: CPUSet?
    /// `rps_flow_cnt` (rx queues only).
    public var flowCount: Int?
    public init(queue: String, cpus: CPUSet?, flowCount: Int? = nil) {
        self.queue = queue; self.cpus = cpus; self.flowCount = flowCount
    }
    public var isRx: Bool { queue.hasPrefix("rx-") }
}

/// Per-queue RPS/XPS/RFS through sysfs. sysfs shows the devices of the network
/// namespace it was mounted in: read and write it from a process whose /sys belongs
/// to the NIC's namespace (a sandbox mounts its own).
public enum Queues {
    static func dir(_ nic: String) -> String { "/sys/class/net/\(nic)/queues" }

    public static func path(_ nic: String, _ queue: String, _ file: String) -> String { "\(dir(nic))/\(queue)/\(file)" }

    /// rx queues then tx queues, each in number order.
    /// Equivalent to: `grep . /sys/class/net/NIC/queues/*/{rps_cpus,rps_flow_cnt,xps_cpus}`.
    public static func read(_ nic: String) throws -> [QueueSteeringState] {
        let names = try Directory.entries(dir(nic)).filter { $0.hasPrefix("rx-") || $0.hasPrefix("tx-") }
        return try names.sorted(by: order).map { q in
            if q.hasPrefix("rx-") {
                return QueueSteeringState(queue: q, cpus: try mask(path(nic, q, "rps_cpus")),
                                          flowCount: try optional(path(nic, q, "rps_flow_cnt")).flatMap { Int($0.trimmingSpace()) })
            }
            return QueueSteeringState(queue: q, cpus: try mask(path(nic, q, "xps_cpus")))
        }
    }

    /// Equivalent to: `echo MASK > …/rps_cpus` (rx) or `…/xps_cpus` (tx).
    public static func setCPUs(_ nic: String, _ queue: String, _ cpus: CPUSet) throws {
        let file = queue.hasPrefix("rx-") ? "rps_cpus" : "xps_cpus"
        try Files.writeAttribute(path(nic, queue, file), CPUMask.format(cpus))
    }

    /// Equivalent to: `echo N > /sys/class/net/NIC/queues/rx-N/rps_flow_cnt`.
    public static func setFlowCount(_ nic: String, _ queue: String, _ count: Int) throws {
        try Files.writeAttribute(path(nic, queue, "rps_flow_cnt"), String(count))
    }

    /// Equivalent to: `cat /sys/class/net/NIC/ifindex`.
    public static func ifindex(_ nic: String) -> Int? {
        (try? Files.read("/sys/class/net/\(nic)/ifindex")).flatMap { Int($0.trimmingSpace()) }
    }

    static func order(_ a: String, _ b: String) -> Bool {
        let (pa, pb) = (a.prefix(3), b.prefix(3))
        if pa != pb { return pa == "rx-" }
        return (Int(a.dropFirst(3)) ?? 0) < (Int(b.dropFirst(3)) ?? 0)
    }

    static func optional(_ path: String) throws -> String? {
        guard Files.exists(path) else { return nil }
        return try Files.read(path)
    }

    /// A file that exists but cannot be read (xps_cpus of a single-queue device: ENOENT
    /// or EINVAL on read) is nil as well: nothing to steer there.
    static func mask(_ path: String) throws -> CPUSet? {
        guard let text = try? optional(path) else { return nil }
        return try CPUMask.parse(text)
    }
}

/// The hexadecimal CPU bitmaps of sysfs: "3", "00000000,00000003" (32-bit words, most
/// significant first, separated by commas).
public enum CPUMask {
    public static func parse(_ text: String) throws -> CPUSet {
        let words = text.trimmingSpace().split(separator: ",", omittingEmptySubsequences: false)
        var cpus: [Int] = []
        for (i, word) in words.reversed().enumerated() {
            guard let v = UInt32(word, radix: 16) else { throw CPUMaskError(text: text) }
            cpus += (0..<32).filter { v & (1 << $0) != 0 }.map { i * 32 + $0 }
        }
        return CPUSet(cpus)
    }

    /// "0" for no CPU; words only as many as the highest CPU needs.
    public static func format(_ cpus: CPUSet) -> String {
        guard let top = cpus.cpus.last else { return "0" }
        var words = [UInt32](repeating: 0, count: top / 32 + 1)
        for c in cpus.cpus { words[c / 32] |= 1 << UInt32(c % 32) }
        let hex = words.reversed().map { String($0, radix: 16) }
        return ([hex[0]] + hex.dropFirst().map { String(repeating: "0", count: 8 - $0.count) + $0 }).joined(separator: ",")
    }
}

public struct CPUMaskError: Error, CustomStringConvertible {
    public var text: String
    public var description: String { "\"\(text.trimmingSpace())\" is not a hexadecimal CPU mask" }
}
