import Foundation
import Testing

/// Issue 12 "Must show" 4 (CNI output): every JSON the plugin prints is encoded, never
/// interpolated; a chained result carries the previous plugin's interfaces, IPs and
/// routes forward; GC acts only with `cni.dev/valid-attachments` and only for 1.1.0.
@Suite("CNI output", .timeLimit(.minutes(10)))
struct CNIOutputTests {
    @Test("VERSION with a quote (or an injection attempt) in cniVersion returns valid JSON with the plugin's versions only")
    func versionIsEncoded() throws {
        let sandbox = try Sandbox()
        for v in [#"1.1.0\", \"evil\": \"x"#, #"1.0.0"#, #"\"\n"#] {
            let out = try sandbox.cni(try CNIPlugin.plumb(), "VERSION", config: #"{"cniVersion": "\#(v)"}"#)
            #expect(out.status == 0, "\(out)")
            let object = try #require(CNISchema.object(out.stdout), "not JSON: \(out.stdout)")
            #expect(Set(object.keys) == ["cniVersion", "supportedVersions"], "\(out.stdout)")
            #expect((object["supportedVersions"] as? [String])?.contains("1.1.0") == true)
            #expect((object["cniVersion"] as? String).map { ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"].contains($0) } == true,
                    "cniVersion echoed unchecked: \(out.stdout)")
        }
    }

    @Test("chained after the reference bridge plugin, the result carries its interfaces, IPs and routes first")
    func chainedResult() throws {
        let sandbox = try CNIPluginTests.sandbox()
        try sandbox.must(["ip", "netns", "add", "ch"])
        let first = try sandbox.cni(CNIPlugin.referenceBridge, "ADD", config: CNIPluginTests.referenceConfig(),
                                    containerID: "chain1", netns: "/run/netns/ch", ifname: "net0")
        try #require(first.succeeded, "\(first)")
        let previous = try #require(CNISchema.object(first.stdout))
        // Plumb's own IPAM without a default route: the first plugin's is the container's.
        var config = try #require(CNISchema.object("""
            {"cniVersion": "1.0.0", "name": "plumbnet", "type": "plumb", "bridge": {"name": "cni-br0"},
             "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.99.0.0/16"}]], "dataDir": "\(CNIPluginTests.ipamDir)"}}
            """))
        config["prevResult"] = previous
        let text = String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self)
        let add = try sandbox.cni(try CNIPlugin.plumb(), "ADD", config: text, containerID: "chain1", netns: "/run/netns/ch", ifname: "eth0")
        try #require(add.succeeded, "\(add)")
        #expect(CNISchema.resultViolations(add.stdout, cniVersion: "1.0.0", netns: "/run/netns/ch", ifname: "eth0") == [], "\(add.stdout)")
        let result = try #require(CNISchema.object(add.stdout))
        let names = (result["interfaces"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        let before = (previous["interfaces"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(Array(names.prefix(before.count)) == before && names.contains("eth0"), "interfaces: \(names), previous \(before)")
        let ips = (result["ips"] as? [[String: Any]] ?? []).compactMap { $0["address"] as? String }
        let previousIPs = (previous["ips"] as? [[String: Any]] ?? []).compactMap { $0["address"] as? String }
        #expect(Array(ips.prefix(previousIPs.count)) == previousIPs && ips.count == previousIPs.count + 1, "ips: \(ips)")
        let del = try sandbox.cni(try CNIPlugin.plumb(), "DEL", config: text, containerID: "chain1", netns: "/run/netns/ch", ifname: "eth0")
        #expect(del.succeeded, "\(del)")
    }

    @Test("GC without cni.dev/valid-attachments, or for a 1.0.0 configuration, deletes nothing")
    func gcNeedsTheKey() throws {
        let sandbox = try CNIPluginTests.sandbox()
        try sandbox.must(["ip", "netns", "add", "g1"])
        let config = CNIPluginTests.plumbConfig(name: "gcnet", bridge: "cni-gc0", subnet: "10.98.0.0/16")
        let add = try sandbox.cni(try CNIPlugin.plumb(), "ADD", config: config, containerID: "g1", netns: "/run/netns/g1")
        try #require(add.succeeded, "\(add)")
        for gc in [config, CNIPluginTests.plumbConfig(version: "1.0.0", name: "gcnet", bridge: "cni-gc0", subnet: "10.98.0.0/16",
                                                      extra: #", "cni.dev/valid-attachments": []"#)] {
            let run = try sandbox.cni(try CNIPlugin.plumb(), "GC", config: gc)
            #expect(run.succeeded, "\(run)")
            #expect(try sandbox.links(netns: "g1").contains("eth0"), "GC removed the attachment:\n\(gc)")
            #expect(try sandbox.links().contains("cni-gc0"))
        }
        let real = try sandbox.cni(try CNIPlugin.plumb(), "GC", config: CNIPluginTests.plumbConfig(
            name: "gcnet", bridge: "cni-gc0", subnet: "10.98.0.0/16", extra: #", "cni.dev/valid-attachments": []"#))
        #expect(real.succeeded, "\(real)")
        #expect(try eventually { try !sandbox.links(netns: "g1").contains("eth0") }, "GC with the key kept a stale attachment")
    }
}
