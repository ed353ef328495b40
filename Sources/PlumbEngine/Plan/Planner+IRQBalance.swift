import PlumbManifest
import PlumbSystem

/// irqbalance and `irqAffinity`. A running irqbalance rewrites every interrupt's affinity
/// at each pass, so a placement Plumb writes would silently be undone (irqbalance #199).
/// Plumb places a NIC's queue interrupts only when irqbalance is kept off them the way it
/// supports — `--banirq` for each of them on its command line (seen in /proc/PID/cmdline),
/// or a `--policyscript` (whose answers Plumb cannot see: the plan says so, and verify shows
/// any move) — and otherwise refuses, saying how to choose.
extension Planner {
    /// The NIC's queue IRQs irqbalance would move (neither banned nor left to a policy script).
    static func exposed(_ s: NICState) -> [Int] {
        guard let ib = s.irqbalance, ib.policyScript == nil else { return [] }
        return s.irqs.map(\.irq).filter { !ib.bannedIRQs.contains($0) }
    }

    func checkIRQBalance(_ s: NICState, path: String) throws {
        let exposed = Self.exposed(s)
        guard let ib = s.irqbalance, !exposed.isEmpty else { return }
        let bans = s.irqs.map { "--banirq=\($0.irq)" }.joined(separator: " ")
        throw error(path, "\(ib) is running and rewrites interrupt affinity at each pass: it would undo the placement of "
                    + "irq \(exposed.map(String.init).joined(separator: ", ")) of \(s.name). Either ban them from it — "
                    + "IRQBALANCE_ARGS=\"\(bans)\" in /etc/default/irqbalance, then systemctl restart irqbalance — or stop it "
                    + "(systemctl disable --now irqbalance), or leave the placement to irqbalance and remove irqAffinity")
    }

    /// What the plan says when irqbalance runs and Plumb still places the interrupts.
    func irqbalanceNotes() -> [String] {
        guard layer.managesHost else { return [] }
        return manifest.nics.compactMap { nic in
            guard nic.tuning?.irqAffinity != nil, let name = nicName(nic), let s = observed.nics[name],
                  let ib = s.irqbalance, !s.irqs.isEmpty, Self.exposed(s).isEmpty else { return nil }
            let irqs = s.irqs.map { String($0.irq) }.joined(separator: ", ")
            if let script = ib.policyScript {
                return "\(ib) runs with the policy script \(script): plumb cannot see whether it bans irq \(irqs) of \(name); plumb verify shows it if they move"
            }
            return "\(ib) runs and bans irq \(irqs) of \(name) (--banirq): it leaves their placement alone"
        }
    }
}
