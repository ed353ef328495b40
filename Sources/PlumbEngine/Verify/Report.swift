import PlumbTypes

/// The verification report: per container, per check, pass/fail with what was
/// expected and what the kernel showed. Its JSON is a documented, stable schema.
public struct VerifyReport: Codable, Sendable {
    public var manifest: String
    public var ok: Bool
    public var containers: [ContainerReport]
    public var host: HostReport
    public var nics: [NICReport]

    public init(manifest: String, containers: [ContainerReport], host: HostReport, nics: [NICReport] = []) {
        self.manifest = manifest; self.containers = containers; self.host = host; self.nics = nics
        ok = host.ok && containers.allSatisfy(\.ok) && nics.allSatisfy(\.ok)
    }
}

public struct ContainerReport: Codable, Sendable {
    public var name: String
    public var netns: String
    public var ok: Bool
    public var checks: [Check]
    public init(name: String, netns: String, checks: [Check]) {
        self.name = name; self.netns = netns; self.checks = checks
        ok = !checks.contains { $0.status == .fail }
    }
}

public struct HostReport: Codable, Sendable {
    public var ok: Bool
    public var checks: [Check]
    public init(checks: [Check]) { self.checks = checks; ok = !checks.contains { $0.status == .fail } }
}

public struct Check: Codable, Sendable {
    public enum Status: String, Codable, Sendable { case pass, fail, warn, skip }
    /// The interface (or bridge / sysctl) the check is about; nil for container-wide ones.
    public var interface: String?
    public var name: String
    public var status: Status
    public var expected: String
    public var observed: String
    /// What the verdict rests on (required: a check that cannot say why it passed proves nothing).
    public var evidence: [Evidence]
    /// The echo's round trip, for `probe` / `probe6` answered by an echo reply (what
    /// `plumb metrics` exports); absent otherwise.
    public var rttMicroseconds: Int?
    /// The address family a row speaks (`probe`/`probe6`, `path-mtu`/`path-mtu6`,
    /// `port-forward`, `masquerade`, `rules`): a dual-stack interface has a row of each; absent on other rows.
    public var family: CheckFamily?

    public init(_ name: String, _ interface: String?, _ status: Status, expected: String, observed: String,
                evidence: [Evidence]) {
        self.name = name; self.interface = interface; self.status = status
        self.expected = expected; self.observed = observed; self.evidence = evidence
    }

    /// This row, saying which address family it speaks.
    public func speaking(_ f: IPFamily) -> Check {
        var c = self
        c.family = CheckFamily(f)
        return c
    }

    /// pass when `ok`, fail otherwise.
    public static func expect(_ name: String, _ interface: String?, _ ok: Bool, expected: String, observed: String,
                              evidence: [Evidence]) -> Check {
        Check(name, interface, ok ? .pass : .fail, expected: expected, observed: observed, evidence: evidence)
    }
}

/// An address family as the report names it: `"ipv4"` / `"ipv6"` in JSON, `IPv4` / `IPv6` in text.
public enum CheckFamily: String, Codable, Sendable {
    case ipv4, ipv6

    public init(_ family: IPFamily) {
        switch family {
        case .v4: self = .ipv4
        case .v6: self = .ipv6
        }
    }

    /// How the text report and messages name it.
    public var label: String {
        switch self {
        case .ipv4: "IPv4"
        case .ipv6: "IPv6"
        }
    }
}
