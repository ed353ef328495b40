import Foundation
import Testing

/// Issue 15 item 4 on this machine's kernel (it has macvlan; ipvlan and vlan only in the
/// lab): a configuration written for the reference `macvlan` plugin works with
/// `"type": "plumb"` and `"kind": "macvlan"`. Both plugins attach a container to the same
/// master beside each other; both results pass the spec check; each container reaches the
/// peer on the master's wire; plumb's CHECK passes and its DEL leaves the reference's macvlan.
@Suite("CNI macvlan attachments", .timeLimit(.minutes(10)))   // time waiting in Heavy's queue counts
struct CNILowerTests {
    static let ipamDir = "/run/cni-ipam"

    static func config(type: String, name: String, range: (String, String), extra: String = "") -> String {
        """
        {"cniVersion": "1.0.0", "name": "\(name)", "type": "\(type)"\(extra), "master": "vp0", "mode": "bridge", "mtu": 1400,
         "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.99.0.0/24", "rangeStart": "\(range.0)", "rangeEnd": "\(range.1)"}]],
                  "dataDir": "\(ipamDir)"}}
        """
    }

    @Test("the reference macvlan plugin's configuration with type plumb and kind macvlan: ADD, ping, CHECK, DEL beside the reference's attachment")
    func besideTheReference() async throws {
        try await Heavy.run {
            let sandbox = try Sandbox()
            try sandbox.coverHostCgroupsAndCNICache()
            for line in ["ip netns add peer", "ip netns add ref", "ip netns add mine",
                         "ip link add vp0 type veth peer name eth0 netns peer", "ip link set vp0 up",
                         "ip -n peer link set eth0 up", "ip -n peer addr add 10.99.0.1/24 dev eth0"] {
                try #require(try sandbox.sh(line).succeeded, "setup: \(line)")
            }
            let reference = CNIPlugin(name: "macvlan", argv: [CNIPlugin.referenceDirectory + "/macvlan"])
            let refConfig = Self.config(type: "macvlan", name: "mvref", range: ("10.99.0.100", "10.99.0.149"))
            let refAdd = try sandbox.cni(reference, "ADD", config: refConfig, containerID: "ref", netns: "/run/netns/ref")
            try #require(refAdd.succeeded, "\(refAdd)")

            let plumb = try CNIPlugin.plumb()
            let config = Self.config(type: "plumb", name: "mvplumb", range: ("10.99.0.150", "10.99.0.199"), extra: #", "kind": "macvlan""#)
            let add = try sandbox.cni(plumb, "ADD", config: config, containerID: "mine", netns: "/run/netns/mine")
            try #require(add.succeeded, "\(add)")
            for (what, out) in [("reference", refAdd.stdout), ("plumb", add.stdout)] {
                let problems = CNISchema.resultViolations(out, cniVersion: "1.0.0", netns: "/run/netns/\(what == "plumb" ? "mine" : "ref")", ifname: "eth0")
                #expect(problems == [], "\(what): \(out)")
            }
            let link = try sandbox.run(["ip", "-n", "mine", "-d", "-j", "link", "show", "dev", "eth0"])
            #expect(link.stdout.contains(#""info_kind":"macvlan""#) && link.stdout.contains(#""mode":"bridge""#), "\(link)")
            #expect(link.stdout.contains(#""mtu":1400"#), "\(link)")
            for ns in ["ref", "mine"] {
                let ping = try sandbox.ping(from: ns, "10.99.0.1")
                #expect(ping.succeeded, "\(ns): \(ping)")
            }

            var object = try #require(CNISchema.object(config))
            object["prevResult"] = CNISchema.object(add.stdout)
            let withPrev = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            let check = try sandbox.cni(plumb, "CHECK", config: withPrev, containerID: "mine", netns: "/run/netns/mine")
            #expect(check.succeeded, "\(check)")

            let del = try sandbox.cni(plumb, "DEL", config: config, containerID: "mine", netns: "/run/netns/mine")
            #expect(del.succeeded, "\(del)")
            #expect(try !sandbox.run(["ip", "-n", "mine", "link", "show", "dev", "eth0"]).succeeded, "plumb's macvlan outlived DEL")
            #expect(try sandbox.run(["ip", "-n", "ref", "link", "show", "dev", "eth0"]).succeeded, "DEL removed the reference's macvlan")
            #expect(try sandbox.ping(from: "ref", "10.99.0.1").succeeded)
            let again = try sandbox.cni(plumb, "DEL", config: config, containerID: "mine", netns: "/run/netns/mine")
            #expect(again.succeeded, "\(again)")
            _ = try sandbox.cni(reference, "DEL", config: refConfig, containerID: "ref", netns: "/run/netns/ref")
        }
    }
}
