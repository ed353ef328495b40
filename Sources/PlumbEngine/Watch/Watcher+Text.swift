import Foundation
import PlumbNetlink

/// The watcher's log text: short, one line per repair, what changed first.
extension Watcher {
    /// A burst of events in a few words: the first three distinct ones and a count.
    static func summary(_ burst: [KernelEvent]) -> String {
        var seen: [String] = []
        for e in burst where !seen.contains(e.description) { seen.append(e.description) }
        let shown = seen.prefix(3).joined(separator: "; ")
        return seen.count > 3 ? "\(shown) and \(seen.count - 3) more changes" : shown
    }

    /// A plan's steps as their commands, the first five.
    static func steps(_ p: Plan) -> String {
        let shown = p.steps.prefix(5).map(\.action.command).joined(separator: "; ")
        return p.steps.count > 5 ? "\(shown); … \(p.steps.count - 5) more" : shown
    }

    /// The failing checks of a report, as `container/interface check`.
    static func failures(_ r: VerifyReport) -> String {
        let host = r.host.checks.filter { $0.status == .fail }.map { "host \($0.name)" }
        let containers = r.containers.flatMap { c in
            c.checks.filter { $0.status == .fail }.map { "\(c.name)/\($0.interface ?? "-") \($0.name)" }
        }
        let nics = r.nics.flatMap { n in n.checks.filter { $0.status == .fail }.map { "nic \(n.name) \($0.name)" } }
        return (host + containers + nics).joined(separator: ", ")
    }

    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    static func milliseconds(_ d: Duration) -> String {
        let (s, atto) = d.components
        return String(format: "%.1f", Double(s) * 1000 + Double(atto) / 1e15)
    }

    static func seconds(_ d: Duration) -> String {
        let (s, atto) = d.components
        return String(format: "%.0f", Double(s) + Double(atto) / 1e18)
    }
}
