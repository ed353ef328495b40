/// One CPU's receive-side counters from /proc/net/softnet_stat (hexadecimal
/// columns, 32-bit counters that wrap). What the seeds read to tune
/// `net.core.netdev_max_backlog` (dropped) and `net.core.netdev_budget` (timeSqueeze).
public struct SoftnetCPU: Hashable, Sendable {
    public var cpu: Int
    /// Packets this CPU processed (NAPI polls and the backlog).
    public var processed: UInt32
    /// Packets dropped because the backlog queue was full (netdev_max_backlog).
    public var dropped: UInt32
    /// Times net_rx_action stopped with work left: budget or time ran out (netdev_budget).
    public var timeSqueeze: UInt32
    /// Packets steered here by RPS (0 on kernels that print no such column).
    public var receivedRPS: UInt32
    /// Packets dropped by the flow limit.
    public var flowLimitCount: UInt32

    public init(cpu: Int, processed: UInt32 = 0, dropped: UInt32 = 0, timeSqueeze: UInt32 = 0,
                receivedRPS: UInt32 = 0, flowLimitCount: UInt32 = 0) {
        self.cpu = cpu; self.processed = processed; self.dropped = dropped; self.timeSqueeze = timeSqueeze
        self.receivedRPS = receivedRPS; self.flowLimitCount = flowLimitCount
    }

    /// How much each counter moved since `earlier` (same CPU), across a 32-bit wrap.
    public func delta(since earlier: SoftnetCPU) -> SoftnetCPU {
        SoftnetCPU(cpu: cpu, processed: processed &- earlier.processed, dropped: dropped &- earlier.dropped,
                   timeSqueeze: timeSqueeze &- earlier.timeSqueeze, receivedRPS: receivedRPS &- earlier.receivedRPS,
                   flowLimitCount: flowLimitCount &- earlier.flowLimitCount)
    }
}

/// /proc/net/softnet_stat: one row per online CPU.
public struct SoftnetStat: Hashable, Sendable {
    public static let path = "/proc/net/softnet_stat"
    public var cpus: [SoftnetCPU]

    public init(cpus: [SoftnetCPU]) { self.cpus = cpus }

    /// The same counters in every network namespace: they are per CPU, not per netns.
    /// Equivalent to: `cat /proc/net/softnet_stat`.
    public static func read() throws -> SoftnetStat {
        try SoftnetStat(parsing: Files.read(path))
    }

    /// Column 13, where present (kernel 5.10 and later), is the CPU number; older
    /// kernels print none, and then the row's position stands in for it (wrong when
    /// a CPU is offline: the kernel skips its row).
    public init(parsing text: String) throws {
        let lines = text.split(separator: "\n")
        cpus = try lines.enumerated().map { i, line in
            let hex = try line.split(separator: " ").map { field -> UInt32 in
                guard let v = UInt32(field, radix: 16) else {
                    throw ProcFormatError(file: Self.path, line: i + 1, reason: "\"\(field)\" is not hexadecimal")
                }
                return v
            }
            guard hex.count >= 3 else {
                throw ProcFormatError(file: Self.path, line: i + 1, reason: "\(hex.count) columns, expected at least 3")
            }
            let at = { (n: Int) in n < hex.count ? hex[n] : 0 }
            return SoftnetCPU(cpu: hex.count >= 13 ? Int(hex[12]) : i, processed: hex[0], dropped: hex[1],
                              timeSqueeze: hex[2], receivedRPS: at(9), flowLimitCount: at(10))
        }
    }

    public subscript(cpu cpu: Int) -> SoftnetCPU? { cpus.first { $0.cpu == cpu } }

    /// Sums over all CPUs (as 64-bit: many CPUs' 32-bit counters overflow a 32-bit sum).
    public var totalProcessed: UInt64 { cpus.reduce(0) { $0 + UInt64($1.processed) } }
    public var totalDropped: UInt64 { cpus.reduce(0) { $0 + UInt64($1.dropped) } }
    public var totalTimeSqueeze: UInt64 { cpus.reduce(0) { $0 + UInt64($1.timeSqueeze) } }

    /// Per-CPU movement since `earlier`; CPUs missing from `earlier` count from zero.
    public func delta(since earlier: SoftnetStat) -> SoftnetStat {
        SoftnetStat(cpus: cpus.map { now in now.delta(since: earlier[cpu: now.cpu] ?? SoftnetCPU(cpu: now.cpu)) })
    }
}
