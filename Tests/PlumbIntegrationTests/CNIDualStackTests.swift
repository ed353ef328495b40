import Foundation
import Testing

/// A dual-stack CNI network (host-local with an IPv4 and an IPv6 range, a default route of
/// each family): the IPAM result is passed through on both families — the container has both
/// addresses and both default routes, the bridge both gateways, each family's gateway answers
/// a ping from the container, the result lists both — and DEL leaves nothing.
@Suite("CNI: dual-stack IPAM results passed through", .timeLimit(.minutes(10)))
struct CNIDualStackTests {
    static let config = """
        {"cniVersion": "1.1.0", "name": "dualnet", "type": "plumb",
         "bridge": {"name": "cni-br6"},
         "ipam": {"type": "host-local",
                  "ranges": [[{"subnet": "10.98.0.0/24"}], [{"subnet": "fd00:98::/64"}]],
                  "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}],
                  "dataDir": "\(CNIPluginTests.ipamDir)"}}
        """

    struct Seen: Sendable {
        var add: CommandResult, ips: [String], addresses: [String], bridge: [String], routes6: String
        var ping4: CommandResult, ping6: CommandResult, del: CommandResult, left: [String], leases: [String]
    }

    @Test("ADD gives the container both families and both reach their gateway; DEL leaves nothing")
    func dualStack() async throws {
        let seen = try await Heavy.run { () throws -> Seen in
            let sandbox = try CNIPluginTests.sandbox()
            defer { sandbox.close() }
            try sandbox.script(["ip netns add a"])
            let plumb = try CNIPlugin.plumb()
            let add = try sandbox.cni(plumb, "ADD", config: Self.config, containerID: "ctr-a", netns: "/run/netns/a")
            let ips = ((CNISchema.object(add.stdout)?["ips"] as? [[String: Any]]) ?? []).compactMap { $0["address"] as? String }
            let addresses = try sandbox.addresses(netns: "a", dev: "eth0")
            let bridge = try sandbox.addresses(dev: "cni-br6")
            let routes6 = try sandbox.sh("ip -n a -6 route show default").stdout
            let ping4 = try sandbox.ping(from: "a", "10.98.0.1")
            let ping6 = try sandbox.sh("ip netns exec a ping -6 -c 1 -W 2 fd00:98::1 || (sleep 2; ip netns exec a ping -6 -c 1 -W 2 fd00:98::1)")
            let del = try sandbox.cni(plumb, "DEL", config: Self.config, containerID: "ctr-a", netns: "/run/netns/a")
            let left = try CNIPluginTests.veths(sandbox, bridge: "cni-br6")
            let leases = try sandbox.sh("ls \(CNIPluginTests.ipamDir)/dualnet 2>/dev/null | grep -v -e lock -e last_reserved || true").stdout
                .split(separator: "\n").map(String.init)
            return Seen(add: add, ips: ips, addresses: addresses, bridge: bridge, routes6: routes6,
                        ping4: ping4, ping6: ping6, del: del, left: left, leases: leases)
        }
        #expect(seen.add.succeeded, "\(seen.add)")
        #expect(seen.ips.contains { $0.hasPrefix("10.98.0.") } && seen.ips.contains { $0.hasPrefix("fd00:98::") }, "\(seen.ips)")
        for ip in seen.ips { #expect(seen.addresses.contains(ip), "eth0 lacks \(ip): \(seen.addresses)") }
        #expect(seen.bridge.contains("10.98.0.1/24") && seen.bridge.contains("fd00:98::1/64"), "\(seen.bridge)")
        #expect(seen.routes6.contains("via fd00:98::1"), "no IPv6 default route: \(seen.routes6)")
        #expect(seen.ping4.succeeded, "\(seen.ping4)")
        #expect(seen.ping6.succeeded, "\(seen.ping6)")
        #expect(seen.del.succeeded, "\(seen.del)")
        #expect(seen.left.isEmpty, "left after DEL: \(seen.left)")
        #expect(seen.leases.isEmpty, "leases left after DEL: \(seen.leases)")
    }
}
