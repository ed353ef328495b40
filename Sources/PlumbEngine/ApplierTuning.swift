import PlumbNetlink
import PlumbSystem

extension Applier {
    /// Executes an ethtool/procfs tuning step; the undo sets the `old.*` values back.
    func tune(_ s: Step) throws -> Step {
        let n = s.object
        let int = { (k: String) in s[k].flatMap { Int($0) } }
        let bool = { (k: String) in s[k].map { $0 == "true" } }
        switch s.action {
        case .setRings: try session.ethtool().setRings(n, rx: int("rx"), tx: int("tx"))
        case .setChannels:
            try session.ethtool().setChannels(n, rx: int("rx"), tx: int("tx"), combined: int("combined"))
        case .setCoalesce:
            try session.ethtool().setCoalesce(n, adaptiveRx: bool("adaptiveRx"), rxUsecs: int("rxUsecs"), rxFrames: int("rxFrames"))
        case .setOffload: try session.ethtool().setGRO(n, bool("gro")!)
        case .setIRQAffinity: try IRQs.setAffinity(of: Int(n)!, to: CPUSet(parsing: s["cpus"]!))
        default: preconditionFailure("not a tuning step: \(s.action)")
        }
        return Step(s.action, n, s.inverted)
    }
}

extension Step {
    /// Fields with every `key` and `old.key` swapped (other fields kept).
    var inverted: [String: String] {
        var out = fields.filter { !$0.key.hasPrefix("old.") && fields["old.\($0.key)"] == nil }
        for (k, v) in fields where k.hasPrefix("old.") {
            let key = String(k.dropFirst(4))
            out[key] = v
            if let now = fields[key] { out[k] = now }
        }
        return out
    }
}
