@testable import PlumbEngine
import PlumbManifest
import PlumbNetlink
import PlumbTypes
import Testing

/// Issue 15, must-show 4: an IPv6 route converges. The kernel stores an IPv6 route asked
/// for with metric 0 as 1024 (IP6_RT_PRIO_USER), a link-local gateway needs its device, and
/// a link-local address declared on a bridge is the manifest's, not the kernel's own.
@Suite("IPv6 routes converge")
struct IPv6RouteTests {
    static let manifest = """
        version: 1
        name: v6
        bridges: [{name: br6, addresses: ["fd00:77::1/64", "fe80::1/64", 10.77.0.1/24]}]
        containers:
          - name: only6
            netns: only6
            interfaces: [{name: eth0, veth: {bridge: br6}, addresses: ["fd00:77::2/64"]}]
            routes:
              - {to: default, via: "fd00:77::1"}
              - {to: "fd00:99::/64", via: "fe80::1", dev: eth0}
          - name: dual
            netns: dual
            interfaces: [{name: eth0, veth: {bridge: br6}, addresses: [10.77.0.3/24, "fd00:77::3/64"]}]
            routes:
              - {to: default, via: 10.77.0.1}
              - {to: "::/0", via: "fd00:77::1", metric: 1024}
        """

    @Test("apply stores the IPv6 routes with metric 1024; the next plan is empty and a second apply changes nothing")
    func converges() throws {
        let w = World()
        let l = try layer(Self.manifest)
        try w.engine().apply(l)
        let only6 = try #require(w.kernel.snapshot().namespaces.first { $0.names.contains("netns only6") })
        #expect(only6.routes.contains("default via fd00:77::1 dev #2 metric 1024 proto 3"), "\(only6.routes)")
        #expect(only6.routes.contains("fd00:99::/64 via fe80::1 dev #2 metric 1024 proto 3"), "\(only6.routes)")
        let applied = w.kernel.snapshot()
        #expect(lines(try w.engine().plan(l)) == [])
        #expect(try w.engine().apply(l).converged)
        expectSame(w.kernel.snapshot(), applied, "the second apply")
        let failed = try w.engine().verify(l).containers.flatMap(\.checks).filter { $0.name == "routes" && $0.status != .pass }
        #expect(failed.isEmpty, "\(failed.map { "\($0.expected) / \($0.observed)" })")
    }

    /// The kernel's form, observed: `::/0 via fd00:77::1 metric 1024`.
    func observed(metric: Int, gateway: String = "fd00:77::1") -> NamespaceSnapshot {
        NamespaceSnapshot(links: [LinkInfo(index: 2, name: "eth0", kind: "veth")],
                          addresses: [AddressInfo(index: 2, prefix: IPPrefix("fd00:77::2/64")!)],
                          routes: [RouteInfo(destination: .defaultRoute(.v6), gateway: IPAddress(gateway), index: 2, metric: metric)])
    }

    func route(_ yaml: String) throws -> PlumbManifest.Route {
        try #require(try layer("""
            version: 1
            bridges: [{name: br6, addresses: ["fd00:77::1/64"]}]
            containers:
              - name: c
                netns: c
                interfaces: [{name: eth0, veth: {bridge: br6}, addresses: ["fd00:77::2/64"]}]
                routes: [\(yaml)]
            """).manifest.containers[0].routes.first)
    }

    @Test("metric 0, none and 1024 all name the kernel's 1024 for IPv6; 0 stays 0 for IPv4; another metric is another route",
          arguments: [("{to: default, via: \"fd00:77::1\"}", 1024, true),
                      ("{to: default, via: \"fd00:77::1\", metric: 0}", 1024, true),
                      ("{to: \"::/0\", via: \"fd00:77::1\", metric: 1024}", 1024, true),
                      ("{to: default, via: \"fd00:77::1\", metric: 100}", 1024, false),
                      ("{to: default, via: \"fd00:77::1\"}", 0, false),
                      ("{to: default, via: \"fd00:77::9\"}", 1024, false)])
    func metricRule(_ yaml: String, kernelMetric: Int, matches: Bool) throws {
        let r = try route(yaml)
        #expect((observed(metric: kernelMetric).route(r, on: "eth0") != nil) == matches, "\(yaml) against metric \(kernelMetric)")
    }

    @Test("an IPv4 default route keeps metric 0")
    func ipv4MetricZero() {
        #expect(PlumbManifest.Route(to: .defaultRoute(.v4), via: IPAddress("10.0.0.1")).kernelMetric == 0)
        #expect(PlumbManifest.Route(to: .defaultRoute(.v6), via: IPAddress("fd00::1")).kernelMetric == 1024)
        #expect(PlumbManifest.Route(to: .defaultRoute(.v6), via: IPAddress("fd00::1"), metric: 5).kernelMetric == 5)
    }

    @Test("a container end keeps IPv6 where the manifest uses it: an IPv6 address, or only an IPv6 route through it",
          arguments: [("[10.77.0.2/24]", "[{to: default, via: 10.77.0.1}]", false),
                      ("[\"fd00:77::2/64\"]", "[]", true),
                      ("[10.77.0.2/24]", "[{to: \"::/0\", via: \"fe80::1\", dev: eth0}]", true)])
    func keepsIPv6(_ addresses: String, _ routes: String, ipv6: Bool) throws {
        let l = try layer("""
            version: 1
            bridges: [{name: br6, addresses: [10.77.0.1/24, "fd00:77::1/64"]}]
            containers:
              - name: c
                netns: c
                interfaces: [{name: eth0, veth: {bridge: br6}, addresses: \(addresses)}]
                routes: \(routes)
            """)
        let veths = try Planner(layer: l, observed: ObservedState(), record: nil).applyPlan().steps.compactMap { s -> VethCreation? in
            if case .createVeth(let v) = s.action { return v } else { return nil }
        }
        #expect(veths.map(\.peerIPv6) == [ipv6])
        let create = try Planner(layer: l, observed: ObservedState(), record: nil).applyPlan().steps.first { $0.action.name == "create-veth" }
        #expect(create?.action.command.contains("addrgenmode none") == !ipv6)
    }

    @Test("a link-local address declared on a bridge is observed (the kernel's own link-local ones are not)")
    func declaredLinkLocal() {
        let s = NamespaceSnapshot(addresses: [AddressInfo(index: 3, prefix: IPPrefix("fe80::1/64")!, scope: 253),
                                              AddressInfo(index: 3, prefix: IPPrefix("fe80::ff:fe00:1/64")!, scope: 253),
                                              AddressInfo(index: 3, prefix: IPPrefix("fd00:77::1/64")!)])
        #expect(s.addresses(of: 3) == [IPPrefix("fd00:77::1/64")!])
        #expect(s.addresses(of: 3, declared: [IPPrefix("fe80::1/64")!]) == [IPPrefix("fe80::1/64")!, IPPrefix("fd00:77::1/64")!])
    }
}
