@testable import PlumbEngine
import PlumbFirewall
import PlumbManifest
import PlumbTypes
import Testing

/// Issue 15 (IPv6 end to end): a dual-stack container's ports are forwarded on both families
/// in the owner's one `inet` table; a container with one family only is said to be, in the
/// plan's notes and in verify's rows — never a silent IPv4-only forward.
@Suite("IPv6 NAT")
struct IPv6NATTests {
    static let manifest = """
        version: 1
        name: nat6
        bridges: [{name: br0, addresses: [10.88.0.1/16, "fd00:88::1/64", "fe80::1/64"], nat: {masquerade: true}}]
        containers:
          - name: web
            netns: web
            interfaces: [{name: eth0, veth: {bridge: br0}, addresses: ["fe80::2/64", 10.88.0.2/16, "fd00:88::2/64"]}]
            routes: [{to: default, via: 10.88.0.1}, {to: default, via: "fd00:88::1"}]
            ports: [{host: 8080, container: 80, protocol: tcp}]
          - name: db
            netns: db
            interfaces: [{name: eth0, veth: {bridge: br0}, addresses: [10.88.0.3/16]}]
            routes: [{to: default, via: 10.88.0.1}]
            ports: [{host: 5432, container: 5432, protocol: tcp}]
          - name: six
            netns: six
            interfaces: [{name: eth0, veth: {bridge: br0}, addresses: ["fd00:88::4/64"]}]
            routes: [{to: default, via: "fd00:88::1"}]
            ports: [{host: 53, container: 53, protocol: udp}]
        """

    @Test("one DNAT, hairpin and accept per family with an address on a bridge; the global IPv6 address, never the link-local one")
    func forwardsPerFamily() throws {
        let r = NATDesign.ruleset(try layer(Self.manifest))
        let forwards = r.portForwards.map { "\($0.family.rawValue) \($0.hostPort) → \($0.destination):\($0.destinationPort) \($0.comment)" }
        #expect(forwards == ["ip 8080 → 10.88.0.2:80 containers[0] web port tcp/8080",
                             "ip6 8080 → fd00:88::2:80 containers[0] web port tcp/8080 ipv6",
                             "ip 5432 → 10.88.0.3:5432 containers[1] db port tcp/5432",
                             "ip6 53 → fd00:88::4:53 containers[2] six port udp/53 ipv6"], "\(forwards)")
        let v6 = try #require(r.portForwards.first { $0.family == .ipv6 })
        #expect(v6.bridgeSubnet == "fd00:88::/64")
        // Each rule's comment is its drift key: the two families' rules of one port differ.
        let comments = r.chains.flatMap(\.rules).filter { $0.statement.contains("dnat ") && !$0.statement.contains("ct status") }.map(\.comment)
        #expect(Set(comments).count == comments.count / 2, "prerouting and output hold the same rules, nothing else repeats: \(comments)")
        #expect(r.masquerades.map(\.family) == [.ipv4, .ipv6, .ipv6], "the bridge's three prefixes: \(r.masquerades)")
        // IPv6 DNAT needs IPv6 forwarding as IPv4's needs ip_forward.
        let sysctls = NATDesign.impliedSysctls(try layer(Self.manifest)).map(\.key)
        #expect(sysctls == ["net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"])
    }

    @Test("an IPv6 forward alone still needs IPv6 forwarding")
    func ipv6ForwardNeedsForwarding() throws {
        let l = try layer("""
            version: 1
            bridges: [{name: br0, addresses: ["fd00:88::1/64"]}]
            containers:
              - {name: six, netns: six, interfaces: [{name: eth0, veth: {bridge: br0}, addresses: ["fd00:88::4/64"]}],
                 ports: [{host: 53, container: 53, protocol: udp}]}
            """)
        #expect(NATDesign.impliedSysctls(l).map(\.key) == ["net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"])
    }

    @Test("the plan says which containers' forwards answer on one family only, and why")
    func planNotesOneFamily() throws {
        let w = World()
        let plan = try w.engine().plan(try layer(Self.manifest))
        let notes = plan.notes.filter { $0.contains("answer on") }
        #expect(notes == [
            "db's forwards (tcp/5432) answer on IPv4 only: db has no global IPv6 address on a bridge, so the host's IPv6 addresses do not forward them",
            "six's forwards (udp/53) answer on IPv6 only: six has no IPv4 address on a bridge, so the host's IPv4 addresses do not forward them",
        ], "\(plan.notes)")
    }

    @Test("verify: a dual-stack forward has a row per family; a one-family forward a skip row naming the other")
    func verifyRowsPerFamily() throws {
        let w = World()
        let l = try layer(Self.manifest)
        try w.engine().apply(l)
        let report = try w.engine().verify(l)
        func rows(_ container: String) -> [String] {
            report.containers.first { $0.name == container }!.checks.filter { $0.name == "port-forward" }
                .map { "\($0.interface ?? "-") \($0.family?.rawValue ?? "none") \($0.status.rawValue)" }
        }
        #expect(rows("web") == ["tcp/8080 ipv4 pass", "tcp/8080 ipv6 pass"], "\(report.containers.map(\.checks))")
        #expect(rows("db") == ["tcp/5432 ipv4 pass", "tcp/5432 ipv6 skip"])
        #expect(rows("six") == ["udp/53 ipv6 pass", "udp/53 ipv4 skip"], "\(report.containers.first { $0.name == "six" }!.checks.filter { $0.name == "port-forward" }.map(\.observed))")
        let masquerade = report.containers.first { $0.name == "web" }!.checks.filter { $0.name == "masquerade" }
            .map { "\($0.family?.rawValue ?? "none") \($0.status.rawValue)" }
        #expect(masquerade == ["ipv4 pass", "ipv6 pass"], "\(report.containers.first { $0.name == "web" }!.checks.filter { $0.name == "masquerade" }.map(\.observed))")
        let skip = report.containers.first { $0.name == "db" }!.checks.first { $0.name == "port-forward" && $0.status == .skip }
        #expect(skip?.observed == "not forwarded on IPv6: db has no global IPv6 address on a bridge, so the host's IPv6 addresses do not forward 5432")
    }
}
