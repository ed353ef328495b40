import PlumbSystem
import PlumbTypes
import Testing
@testable import PlumbFirewall

/// Naming the rule that dropped or redirected a probe, from `nft -j list ruleset` recorded on
/// nft 1.0.6 (one object per line): no privileges needed.
@Suite struct RuleMatchTests {
    static let listing = #"""
    {"nftables": [
    {"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}},
    {"table": {"family": "inet", "name": "filter", "handle": 1}},
    {"chain": {"family": "inet", "table": "filter", "name": "forward", "handle": 1, "type": "filter", "hook": "forward", "prio": 0, "policy": "accept"}},
    {"chain": {"family": "inet", "table": "filter", "name": "x", "handle": 6}},
    {"rule": {"family": "inet", "table": "filter", "chain": "forward", "handle": 2, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "10.88.0.2"}}, {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 80}}, {"drop": null}]}},
    {"rule": {"family": "inet", "table": "filter", "chain": "forward", "handle": 3, "expr": [{"match": {"op": "==", "left": {"meta": {"key": "oifname"}}, "right": "br9"}}, {"counter": {"packets": 0, "bytes": 0}}, {"reject": {"type": "icmpx", "expr": "port-unreachable"}}]}},
    {"rule": {"family": "inet", "table": "filter", "chain": "forward", "handle": 8, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "udp", "field": "dport"}}, "right": {"set": [53, 5353]}}}, {"jump": {"target": "x"}}]}},
    {"rule": {"family": "inet", "table": "filter", "chain": "x", "handle": 7, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": {"prefix": {"addr": "198.18.0.0", "len": 15}}}}, {"drop": null}]}},
    {"table": {"family": "ip", "name": "foreign", "handle": 2}},
    {"chain": {"family": "ip", "table": "foreign", "name": "pre", "handle": 1, "type": "nat", "hook": "prerouting", "prio": -150, "policy": "accept"}},
    {"chain": {"family": "ip", "table": "foreign", "name": "late", "handle": 9, "type": "nat", "hook": "prerouting", "prio": 50, "policy": "accept"}},
    {"rule": {"family": "ip", "table": "foreign", "chain": "pre", "handle": 2, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 8080}}, {"dnat": {"addr": "10.88.0.3", "port": 80}}]}},
    {"rule": {"family": "ip", "table": "foreign", "chain": "pre", "handle": 4, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": {"range": [8000, 9000]}}}, {"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "eth*"}}, {"redirect": {"port": 3128}}]}},
    {"rule": {"family": "ip", "table": "foreign", "chain": "late", "handle": 10, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 8080}}, {"dnat": {"addr": "10.88.0.4", "port": 80}}]}}
    ]}
    """#

    static func packet(_ proto: TransportProtocol, port: Int, to container: String = "10.88.0.2", inInterface: String = "plumbv1") -> ProbePacket {
        ProbePacket(proto: proto, source: IPAddress("198.18.0.2")!, sourcePort: 40000, destination: IPAddress("198.18.0.1")!,
                    destinationPort: port, translated: (IPAddress(container)!, proto == .tcp ? 80 : 53),
                    inInterface: inInterface, outInterface: "br0")
    }

    @Test func forwardDropOfTheContainerIsNamed() throws {
        let rs = try Ruleset(listingJSON: Self.listing)
        let found = rs.droppers(of: Self.packet(.tcp, port: 8080))
        #expect(found.map(\.description) == ["table inet filter chain forward handle 2: ip daddr 10.88.0.2 tcp dport 80 drop"])
        #expect(rs.droppers(of: Self.packet(.tcp, port: 8080, to: "10.88.0.9")).isEmpty, "another destination is not dropped")
    }

    @Test func dropInAJumpedChainIsNamed() throws {
        let rs = try Ruleset(listingJSON: Self.listing)
        #expect(rs.droppers(of: Self.packet(.udp, port: 5353)).map(\.description)
                == ["table inet filter chain x handle 7: ip saddr 198.18.0.0/15 drop"])
    }

    @Test func earlierDNATIsNamedAndALaterOneOnlyAsAConflict() throws {
        let rs = try Ruleset(listingJSON: Self.listing)
        let p = Self.packet(.tcp, port: 8080)
        #expect(rs.redirectors(of: p).map(\.description) == ["table ip foreign chain pre handle 2: tcp dport 8080 dnat to 10.88.0.3:80"])
        #expect(rs.redirectors(of: p, anyPriority: true).map(\.handle) == [2, 10])
        #expect(rs.redirectors(of: p, skipping: [TableRef(family: "ip", name: "foreign")]).isEmpty)
        // iifname "eth*" does not match the outside's link; from eth0 it would.
        #expect(rs.redirectors(of: Self.packet(.tcp, port: 8500)).isEmpty)
        #expect(rs.redirectors(of: Self.packet(.tcp, port: 8500, inInterface: "eth0")).map(\.handle) == [4])
    }
}
