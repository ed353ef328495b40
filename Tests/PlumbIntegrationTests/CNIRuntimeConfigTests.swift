import Foundation
import Testing

/// Issue 14 part 2: runtimeConfig, as Multus and libcni pass it to a delegate (the
/// configuration's `capabilities`, the values under `runtimeConfig`), on a bridge network:
/// the MAC and the static address a pod asks for, and port mappings that Plumb publishes
/// itself (no `portmap` plugin) — answering from another host, gone after DEL and GC.
@Suite("CNI runtimeConfig", .timeLimit(.minutes(10)))   // time waiting in Heavy's queue counts
struct CNIRuntimeConfigTests {
    static let ipamDir = CNIPluginTests.ipamDir

    /// A Multus delegate call for a bridge network: cniVersion 1.0.0 (Multus 4's libcni),
    /// the capabilities the NetworkAttachmentDefinition declares, runtimeConfig filled in.
    static func delegateConfig(runtime: String) -> String {
        """
        {"cniVersion": "1.0.0", "name": "plumbnet", "type": "plumb",
         "capabilities": {"mac": true, "ips": true, "portMappings": true},
         "bridge": {"name": "cni-br0", "masquerade": true},
         "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.99.0.0/16"}]], "routes": [{"dst": "0.0.0.0/0"}],
                  "dataDir": "\(ipamDir)"},
         "runtimeConfig": \(runtime)}
        """
    }

    struct MacAndIP: Sendable {
        var add: String, del: String
        var resultMAC: String?, kernelMAC: String?, addresses: [String], lease: Bool, leaseAfterDel: Bool
    }

    @Test("runtimeConfig mac and ips: eth0 has the MAC and the address asked for, the result says so, DEL releases the address")
    func macAndIPs() async throws {
        let o = try await Heavy.run { () throws -> MacAndIP in
            let sandbox = try CNIPluginTests.sandbox()
            let plumb = try CNIPlugin.plumb()
            let config = Self.delegateConfig(runtime: #"{"mac": "02:5a:00:00:00:07", "ips": ["10.99.0.50/16"]}"#)
            try sandbox.must(["ip", "netns", "add", "a"])
            let add = try sandbox.cni(plumb, "ADD", config: config, containerID: "ctr-a", netns: "/run/netns/a")
            let inside = (CNISchema.object(add.stdout)?["interfaces"] as? [[String: Any]])?.first { $0["sandbox"] != nil }
            let link = try sandbox.linkObjects(netns: "a").first { $0["ifname"] as? String == "eth0" }
            let addresses = try sandbox.addresses(netns: "a", dev: "eth0")
            let lease = try sandbox.exists("\(Self.ipamDir)/plumbnet/10.99.0.50")
            let del = try sandbox.cni(plumb, "DEL", config: config, containerID: "ctr-a", netns: "/run/netns/a")
            return MacAndIP(add: "\(add)", del: "\(del)", resultMAC: inside?["mac"] as? String, kernelMAC: link?["address"] as? String,
                            addresses: addresses, lease: lease, leaseAfterDel: try sandbox.exists("\(Self.ipamDir)/plumbnet/10.99.0.50"))
        }
        #expect(o.kernelMAC == "02:5a:00:00:00:07", "\(o.add)")
        #expect(o.resultMAC == "02:5a:00:00:00:07", "\(o.add)")
        #expect(o.addresses.contains("10.99.0.50/16"), "eth0 has \(o.addresses)\n\(o.add)")
        #expect(o.lease, "host-local did not lease the address asked for")
        #expect(!o.leaseAfterDel, "the lease outlived DEL:\n\(o.del)")
    }

    struct StaticIPs: Sendable { var add: String, result: String, bridge: [String], ping: Bool }

    @Test("static IPAM given runtimeConfig.ips alone (no gateway, as Multus passes a pod's static IP): the bridge takes the subnet's first address as gateway, the result says it, the pod reaches it")
    func staticIPsWithoutGateway() async throws {
        let o = try await Heavy.run { () throws -> StaticIPs in
            let sandbox = try CNIPluginTests.sandbox()
            let plumb = try CNIPlugin.plumb()
            let config = """
                {"cniVersion": "1.0.0", "name": "staticnet", "type": "plumb", "capabilities": {"ips": true},
                 "bridge": {"name": "cni-st0"},
                 "ipam": {"type": "static", "routes": [{"dst": "0.0.0.0/0", "gw": "10.97.0.1"}]},
                 "runtimeConfig": {"ips": ["10.97.0.50/24"]}}
                """
            try sandbox.must(["ip", "netns", "add", "a"])
            let add = try sandbox.cni(plumb, "ADD", config: config, containerID: "ctr-st", netns: "/run/netns/a")
            let ips = CNISchema.object(add.stdout)?["ips"] as? [[String: Any]]
            let gateway = ips?.first?["gateway"] as? String ?? "none"
            return StaticIPs(add: "\(add)", result: gateway, bridge: try sandbox.addresses(dev: "cni-st0"),
                             ping: try sandbox.ping(from: "a", "10.97.0.1").succeeded)
        }
        #expect(o.result == "10.97.0.1", "the result's gateway: \(o.result)\n\(o.add)")
        #expect(o.bridge.contains("10.97.0.1/24"), "cni-st0 holds \(o.bridge)\n\(o.add)")
        #expect(o.ping, "the pod cannot reach 10.97.0.1\n\(o.add)")
    }

    @Test("a port mapping for a pod without a default route fails ADD (101) saying the pod has no route back, and leaves no veth")
    func portMappingWithoutRouteBack() async throws {
        let o = try await Heavy.run { () throws -> Refused in
            let sandbox = try CNIPluginTests.sandbox()
            let config = """
                {"cniVersion": "1.0.0", "name": "plumbnet", "type": "plumb", "capabilities": {"portMappings": true},
                 "bridge": {"name": "cni-br0", "masquerade": true},
                 "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.99.0.0/16"}]], "dataDir": "\(Self.ipamDir)"},
                 "runtimeConfig": {"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]}}
                """
            try sandbox.must(["ip", "netns", "add", "a"])
            let add = try sandbox.cni(try CNIPlugin.plumb(), "ADD", config: config, containerID: "ctr-noroute", netns: "/run/netns/a")
            return Refused(add: CommandResultText(add), links: try CNIPluginTests.veths(sandbox),
                           leases: try sandbox.list("\(Self.ipamDir)/plumbnet").filter { $0.hasPrefix("10.") })
        }
        #expect(!o.add.succeeded && CNISchema.errorCode(o.add.stdout) == 101, "\(o.add)")
        #expect(o.add.stdout.contains("has no route back") && o.add.stdout.contains("no default route"), "\(o.add)")
        #expect(o.links.isEmpty, "left: \(o.links)")
        #expect(o.leases.isEmpty, "leases left: \(o.leases)")
    }

    struct Refused: Sendable { var add: CommandResultText; var links: [String]; var leases: [String] }
    struct CommandResultText: Sendable, CustomStringConvertible {
        var succeeded: Bool, stdout: String, description: String
        init(_ r: CommandResult) { succeeded = r.succeeded; stdout = r.stdout; description = "\(r)" }
    }

    @Test("an address IPAM will not give (outside its range) fails ADD with a spec error and leaves nothing")
    func ipsRefused() async throws {
        let o = try await Heavy.run { () throws -> Refused in
            let sandbox = try CNIPluginTests.sandbox()
            try sandbox.must(["ip", "netns", "add", "a"])
            let add = try sandbox.cni(try CNIPlugin.plumb(), "ADD", config: Self.delegateConfig(runtime: #"{"ips": ["10.98.0.5/16"]}"#),
                                      containerID: "ctr-a", netns: "/run/netns/a")
            let leases = (try? sandbox.list("\(Self.ipamDir)/plumbnet"))?.filter { $0.hasPrefix("10.") } ?? []
            return Refused(add: CommandResultText(add), links: try sandbox.links() + sandbox.links(netns: "a"), leases: leases)
        }
        #expect(!o.add.succeeded, "\(o.add)")
        #expect(CNISchema.errorViolations(o.add.stdout) == [], "\(o.add)")
        #expect(o.links == ["lo", "lo"], "left: \(o.links)")
        #expect(o.leases.isEmpty, "leases left: \(o.leases)")
    }

    struct Ignored: Sendable { var add: CommandResultText; var links: [String]; var ipamCalls: String }

    @Test("an IPAM plugin that ignores runtimeConfig.ips: ADD fails naming runtimeConfig.ips, gives the address back, makes nothing")
    func ipsIgnored() async throws {
        let o = try await Heavy.run { () throws -> Ignored in
            let sandbox = try CNIPluginTests.sandbox()
            try sandbox.must(["ip", "netns", "add", "a"])
            // A stand-in IPAM plugin without the ips capability: always 10.99.0.9, every call logged.
            let dir = sandbox.scratch.appendingPathComponent("ipam").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let log = dir + "/calls"
            try sandbox.writeExecutable("""
            #!/bin/sh
            echo "$CNI_COMMAND" >> \(log)
            [ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion": "1.0.0", "ips": [{"address": "10.99.0.9/16", "gateway": "10.99.0.1"}]}'
            exit 0
            """, to: dir + "/fixed-ipam")
            let config = Self.delegateConfig(runtime: #"{"ips": ["10.99.0.50/16"]}"#)
                .replacingOccurrences(of: #""type": "host-local""#, with: #""type": "fixed-ipam""#)
            let add = try sandbox.cni(try CNIPlugin.plumb(), "ADD", config: config, containerID: "ctr-a", netns: "/run/netns/a", path: dir)
            return Ignored(add: CommandResultText(add), links: try sandbox.links() + sandbox.links(netns: "a"),
                           ipamCalls: (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
        }
        #expect(!o.add.succeeded, "\(o.add)")
        #expect(CNISchema.errorViolations(o.add.stdout) == [], "\(o.add)")
        #expect((CNISchema.object(o.add.stdout)?["msg"] as? String)?.hasPrefix("runtimeConfig.ips") == true, "\(o.add)")
        // VERSION (Plumb asks a plugin's versions before its first call) is not an allocation.
        #expect(o.ipamCalls.split(separator: "\n").filter { $0 != "VERSION" } == ["ADD", "DEL"],
                "the address was not given back: IPAM calls \(o.ipamCalls)")
        #expect(o.links == ["lo", "lo"], "left: \(o.links)")
    }

    struct Ports: Sendable {
        var add: String
        var before: CommandResultText, serverBefore: String
        var ruleset: String, del: String, rulesetAfterDel: String, after: CommandResultText
        var gcAdd: String, rulesetBeforeGC: String, gc: String, rulesetAfterGC: String
    }

    @Test("portMappings: tcp 8080→80 answers a client in upstream at the host's 192.0.2.1:8080; gone after DEL; a stale attachment's mapping gone after GC")
    func portMappings() async throws {
        let o = try await Heavy.run { () throws -> Ports in
            let sandbox = try CNIPluginTests.sandbox()
            try sandbox.addUpstream()
            let plumb = try CNIPlugin.plumb()
            let config = Self.delegateConfig(runtime: #"{"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp", "hostIP": ""}]}"#)
            try sandbox.must(["ip", "netns", "add", "a"])
            let add = try sandbox.cni(plumb, "ADD", config: config, containerID: "ctr-a", netns: "/run/netns/a")
            let before = try sandbox.exchange(server: (netns: "a", "tcp-server 80"),
                                              client: (netns: "upstream", "tcp-client \(Upstream.hostAddress) 8080 n0nce-8080"))
            let ruleset = try sandbox.must(["nft", "list", "ruleset"]).stdout
            let del = try sandbox.cni(plumb, "DEL", config: config, containerID: "ctr-a", netns: "/run/netns/a")
            let afterDel = try sandbox.must(["nft", "list", "ruleset"]).stdout
            let after = try sandbox.sh("timeout 8 ip netns exec upstream /usr/bin/python3 -c 'import socket; socket.create_connection((\"\(Upstream.hostAddress)\", 8080), timeout=3)'")

            // GC: an attachment not in cni.dev/valid-attachments takes its mapping with it.
            let gcConfig = Self.delegateConfig(runtime: #"{"portMappings": [{"hostPort": 8081, "containerPort": 80}]}"#)
            try sandbox.must(["ip", "netns", "add", "b"])
            let gcAdd = try sandbox.cni(plumb, "ADD", config: gcConfig.replacingOccurrences(of: "1.0.0", with: "1.1.0"),
                                        containerID: "ctr-b", netns: "/run/netns/b")
            let beforeGC = try sandbox.must(["nft", "list", "ruleset"]).stdout
            let gc = try sandbox.cni(plumb, "GC", config: CNIPluginTests.plumbConfig(extra: #", "cni.dev/valid-attachments": []"#),
                                     containerID: nil, netns: nil, ifname: nil)
            return Ports(add: "\(add)", before: CommandResultText(before.client), serverBefore: before.server, ruleset: ruleset,
                         del: "\(del)", rulesetAfterDel: afterDel, after: CommandResultText(after),
                         gcAdd: "\(gcAdd)", rulesetBeforeGC: beforeGC, gc: "\(gc)", rulesetAfterGC: try sandbox.must(["nft", "list", "ruleset"]).stdout)
        }
        #expect(o.before.succeeded && o.before.stdout.contains("answered n0nce-8080"), "\(o.before)\n--- server\n\(o.serverBefore)\n--- ADD\n\(o.add)")
        #expect(o.serverBefore.contains("got n0nce-8080 from "), "\(o.serverBefore)")
        #expect(o.ruleset.contains("dport 8080"), "no DNAT for 8080 in:\n\(o.ruleset)")
        #expect(!o.rulesetAfterDel.contains("dport 8080"), "the mapping outlived DEL (\(o.del)):\n\(o.rulesetAfterDel)")
        #expect(!o.after.succeeded, "192.0.2.1:8080 still answers after DEL: \(o.after)")
        #expect(o.gcAdd.contains("exit 0"), "\(o.gcAdd)")
        #expect(o.rulesetBeforeGC.contains("dport 8081"), "no DNAT for 8081 in:\n\(o.rulesetBeforeGC)")
        #expect(!o.rulesetAfterGC.contains("dport 8081"), "the stale attachment's mapping outlived GC (\(o.gc)):\n\(o.rulesetAfterGC)")
    }

    struct Taken: Sendable { var first: String; var second: CommandResultText; var links: [String]; var leases: [String] }

    @Test("a host port another attachment publishes: the second ADD fails naming the first, gives its address back, leaves no veth")
    func hostPortTaken() async throws {
        let o = try await Heavy.run { () throws -> Taken in
            let sandbox = try CNIPluginTests.sandbox()
            let plumb = try CNIPlugin.plumb()
            let config = Self.delegateConfig(runtime: #"{"portMappings": [{"hostPort": 8080, "containerPort": 80}]}"#)
            for ns in ["a", "b"] { try sandbox.must(["ip", "netns", "add", ns]) }
            let first = try sandbox.cni(plumb, "ADD", config: config, containerID: "ctr-a", netns: "/run/netns/a")
            let second = try sandbox.cni(plumb, "ADD", config: config, containerID: "ctr-b", netns: "/run/netns/b")
            let leases = (try? sandbox.list("\(Self.ipamDir)/plumbnet"))?.filter { $0.hasPrefix("10.") } ?? []
            return Taken(first: "\(first)", second: CommandResultText(second), links: try sandbox.links(netns: "b"), leases: leases)
        }
        #expect(o.first.contains("exit 0"), "\(o.first)")
        #expect(!o.second.succeeded, "\(o.second)")
        #expect(CNISchema.errorViolations(o.second.stdout) == [], "\(o.second)")
        #expect(o.second.stdout.contains("8080") && o.second.stdout.contains("ctr-a"), "the error names neither the port nor its owner: \(o.second)")
        #expect(o.links == ["lo"], "b has \(o.links)")
        #expect(o.leases.count == 1, "leases: \(o.leases) (the refused ADD's address was not given back)")
    }

    @Test("Multus's VF delegate call with a deviceID that is no VF here: a spec error naming deviceID, no address leased, nothing made")
    func deviceIDNotAVF() async throws {
        let o = try await Heavy.run { () throws -> Refused in
            let sandbox = try CNIPluginTests.sandbox()
            try sandbox.must(["ip", "netns", "add", "a"])
            let config = """
            {"capabilities":{"ips":true,"mac":true},"cniVersion":"1.0.0","deviceID":"0000:7f:10.2",
             "ipam":{"type":"host-local","ranges":[[{"subnet":"10.56.217.0/24"}]],"dataDir":"\(Self.ipamDir)"},
             "name":"sriov-net","spoofchk":"on","trust":"off","type":"plumb","vlan":100,
             "runtimeConfig":{"ips":["10.56.217.100/24"],"mac":"02:aa:bb:cc:dd:01"}}
            """
            let add = try sandbox.cni(try CNIPlugin.plumb(), "ADD", config: config, containerID: "ctr-a", netns: "/run/netns/a")
            let leases = (try? sandbox.list("\(Self.ipamDir)/sriov-net"))?.filter { $0.hasPrefix("10.") } ?? []
            return Refused(add: CommandResultText(add), links: try sandbox.links() + sandbox.links(netns: "a"), leases: leases)
        }
        #expect(!o.add.succeeded, "\(o.add)")
        #expect(CNISchema.errorViolations(o.add.stdout) == [], "\(o.add)")
        #expect(CNISchema.errorCode(o.add.stdout) == 7, "\(o.add)")
        #expect((CNISchema.object(o.add.stdout)?["msg"] as? String)?.contains("deviceID 0000:7f:10.2") == true, "\(o.add)")
        #expect(o.links == ["lo", "lo"], "left: \(o.links)")
        #expect(o.leases.isEmpty, "leases left: \(o.leases)")
    }
}
