import Foundation
import Testing

/// A node's first ADD on a network makes the bridge and its table while the IPAM plugin
/// runs, from the gateway the IPAM configuration implies. What a user sees must not depend
/// on that guess: a gateway other than the guess ends on the bridge alone (and the
/// masquerade follows it), and an IPAM plugin that fails leaves no bridge, table or record.
@Suite("CNI: the network made while IPAM runs", .timeLimit(.minutes(5)))
struct CNIEarlyNetworkTests {
    /// A "host-local" on its own CNI_PATH that answers ADD with `result` (after a pause long
    /// enough for the network to be made beside it), or fails.
    /// Its log holds, after each call, what `ip -br addr show cni-br0` printed while it ran.
    func ipam(_ sandbox: Sandbox, add: String) throws -> (bin: String, log: String) {
        let (bin, log) = try CNIPluginTests.loggingIPAM(sandbox, body: """
            case "$CNI_COMMAND" in
              ADD) sleep 0.3; ip -br -4 addr show cni-br0 >>'LOG' 2>&1; \(add) ;;
              *) exit 0 ;;
            esac
            """)
        try sandbox.must(["sed", "-i", "s|'LOG'|'\(log)'|", bin + "/host-local"])
        return (bin, log)
    }

    @Test("a gateway other than the guessed one (the subnet's first address): the bridge ends with the given gateway alone, the container reaches it, DEL leaves nothing")
    func gatewayNotGuessed() throws {
        let sandbox = try CNIPluginTests.sandbox()
        let (bin, log) = try ipam(sandbox, add: #"echo '{"cniVersion":"1.0.0","ips":[{"address":"10.99.0.7/16","gateway":"10.99.0.254"}],"routes":[{"dst":"0.0.0.0/0"}]}'"#)
        try sandbox.must(["ip", "netns", "add", "c1"])
        let add = try sandbox.cni(try CNIPlugin.plumb(), "ADD", config: CNIPluginTests.plumbConfig(), containerID: "c1", netns: "/run/netns/c1", path: bin)
        try #require(add.succeeded, "\(add)")
        let during = try String(contentsOfFile: log, encoding: .utf8)
        #expect(during.contains("cni-br0") && during.contains("10.99.0.1/16"), "while IPAM ran: \(during)")
        #expect(try sandbox.addresses(dev: "cni-br0").filter { !$0.hasPrefix("fe80") } == ["10.99.0.254/16"])
        #expect(try sandbox.sh("ip netns exec c1 ping -c1 -W1 10.99.0.254").succeeded)
        let table = try sandbox.sh("nft list ruleset").stdout
        #expect(table.contains("10.99.0.0/16"), "\(table)")
        let del = try sandbox.cni(try CNIPlugin.plumb(), "DEL", config: CNIPluginTests.plumbConfig(), containerID: "c1", netns: "/run/netns/c1", path: bin)
        #expect(del.succeeded, "\(del)")
        #expect(try sandbox.links() == ["lo"])
        #expect(try sandbox.sh("nft list ruleset").stdout.isEmpty)
        #expect(try sandbox.sh("ls /run/plumb | grep -v '^\\.' ; true").stdout.isEmpty)
    }

    @Test("an IPAM plugin that fails on the network's first ADD: exit non-zero with its error, and no bridge, table or record is left of the network made meanwhile")
    func ipamFailsFirst() throws {
        let sandbox = try CNIPluginTests.sandbox()
        let (bin, log) = try ipam(sandbox, add: #"echo '{"cniVersion":"1.0.0","code":11,"msg":"no addresses left"}'; exit 1"#)
        try sandbox.must(["ip", "netns", "add", "c1"])
        let forwarding = "sysctl -n net.ipv4.ip_forward"
        let before = try sandbox.sh(forwarding).stdout
        let add = try sandbox.cni(try CNIPlugin.plumb(), "ADD", config: CNIPluginTests.plumbConfig(), containerID: "c1", netns: "/run/netns/c1", path: bin)
        #expect(!add.succeeded)
        #expect(add.stdout.contains("no addresses left"), "\(add)")
        #expect(try String(contentsOfFile: log, encoding: .utf8).contains("10.99.0.1/16"), "the network was not made while IPAM ran")
        #expect(try sandbox.links() == ["lo"])
        #expect(try sandbox.links(netns: "c1") == ["lo"])
        #expect(try sandbox.sh("nft list ruleset").stdout.isEmpty)
        #expect(try sandbox.sh("ls /run/plumb | grep -v '^\\.' ; true").stdout.isEmpty)
        #expect(try sandbox.sh(forwarding).stdout == before, "the forwarding switched on for the network was not put back")
    }
}
