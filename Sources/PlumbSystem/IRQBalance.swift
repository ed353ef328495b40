/// A running irqbalance daemon, as procfs shows it. irqbalance rewrites every interrupt's
/// `smp_affinity` at each pass (10 s by default) except those it is told to leave alone,
/// so a placement Plumb writes holds only for IRQs it bans. The ways irqbalance supports
/// are on its command line: `--banirq=N` / `-i N` (Debian: `IRQBALANCE_ARGS` in
/// /etc/default/irqbalance, read at start), or `--policyscript=FILE` / `-l FILE`, a script
/// that may answer `ban=true` per device — which Plumb cannot read the outcome of.
public struct IRQBalanceProcess: Hashable, Sendable, Codable, CustomStringConvertible {
    public var pid: Int
    /// The IRQs its command line bans.
    public var bannedIRQs: [Int]
    /// Its `--policyscript`, when it has one.
    public var policyScript: String?
    public init(pid: Int, bannedIRQs: [Int] = [], policyScript: String? = nil) {
        self.pid = pid; self.bannedIRQs = bannedIRQs; self.policyScript = policyScript
    }
    public var description: String { "irqbalance (pid \(pid))" }
}

public enum IRQBalance {
    /// The first process whose `comm` is irqbalance; nil when none runs.
    /// Equivalent to: `pgrep -x irqbalance` and `cat /proc/PID/cmdline`.
    public static func running(procRoot: String = "/proc") -> IRQBalanceProcess? {
        let pids = ((try? Directory.entries(procRoot)) ?? []).compactMap { Int($0) }.sorted()
        for pid in pids {
            // A process may exit between the listing and the read: skip it.
            guard let comm = try? Files.read("\(procRoot)/\(pid)/comm"), comm.trimmingSpace() == "irqbalance" else { continue }
            let args = ((try? Files.read("\(procRoot)/\(pid)/cmdline")) ?? "").split(separator: "\0").map(String.init)
            return parse(pid: pid, arguments: Array(args.dropFirst()))
        }
        return nil
    }

    /// irqbalance's own option forms (getopt_long): `--banirq=N`, `--banirq N`, `-i N`, `-iN`;
    /// likewise `--policyscript` / `-l`.
    static func parse(pid: Int, arguments args: [String]) -> IRQBalanceProcess {
        var p = IRQBalanceProcess(pid: pid)
        var i = 0
        func value(_ long: String, _ short: String) -> String? {
            let a = args[i]
            if a == "--\(long)" || a == "-\(short)" { i += 1; return i < args.count ? args[i] : nil }
            if a.hasPrefix("--\(long)=") { return String(a.dropFirst(long.count + 3)) }
            if a.hasPrefix("-\(short)"), !a.hasPrefix("--") { return String(a.dropFirst(2)) }
            return nil
        }
        while i < args.count {
            if let v = value("banirq", "i") {
                if let n = Int(v) { p.bannedIRQs.append(n) }
            } else if let v = value("policyscript", "l") {
                p.policyScript = v
            }
            i += 1
        }
        p.bannedIRQs = Array(Set(p.bannedIRQs)).sorted()
        return p
    }
}
