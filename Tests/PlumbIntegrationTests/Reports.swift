import Foundation

/// `plumb plan --output json`, as the CLI contract states it.
struct PlanReport: Decodable {
    struct Step: Decodable {
        var action: String
        var object: String
        var namespace: String?
        var summary: String
    }
    var manifest: String
    var converged: Bool
    var steps: [Step]
}

/// `plumb verify --output json`, as the CLI contract states it.
struct VerifyReport: Decodable {
    struct Check: Decodable, CustomStringConvertible {
        var interface: String?
        var name: String
        var status: String          // pass | fail | warn | skip
        var expected: String?
        var observed: String?
        /// What the verdict rests on ("icmp-echo", "arp", "conntrack", …).
        var evidence: [String]?
        /// "ipv4" | "ipv6" on the rows that speak one family (probes, port forwards).
        var family: String?
        var description: String {
            "\(name)\(interface.map { "[\($0)]" } ?? ""): \(status) (expected \(expected ?? "-"), observed \(observed ?? "-"), evidence \(evidence ?? []))"
        }
    }
    struct Container: Decodable {
        var name: String
        var netns: String?
        var ok: Bool
        var checks: [Check]
    }
    struct Host: Decodable {
        var checks: [Check]
    }
    var manifest: String
    var ok: Bool
    var containers: [Container]
    var host: Host?

    /// The failing checks, each with its container: what a failed test says first.
    var failures: [String] {
        allChecks.filter { $0.check.status == "fail" }.map { "\($0.owner) \($0.check)" }
    }

    /// Every check, labelled with its container ("host" for host-side checks).
    var allChecks: [(owner: String, check: Check)] {
        containers.flatMap { c in c.checks.map { (c.name, $0) } } + (host?.checks ?? []).map { ("host", $0) }
    }
}

extension CommandResult {
    /// Decodes stdout as one of the JSON reports; the error carries the whole command output.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(stdout.utf8))
        } catch {
            throw SubprocessError(description: "cannot read \(T.self) from stdout (\(error)):\n\(self)")
        }
    }
}
