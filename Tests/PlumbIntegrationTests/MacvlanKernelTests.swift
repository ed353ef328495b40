import Foundation
import Testing

/// Issue 15, must-show 1, 3 and 5 for macvlan, on this machine's kernel: a container's macvlan
/// on a sandbox NIC reaches a peer namespace on the same parent; drift (deleted, renamed,
/// moved to the host) is planned with exit 2 and repaired; a macvlan someone made by hand on
/// the same parent survives destroy; a bad parent or mode is refused with path and line.
///
/// The parent is `vp0`, a veth whose other end (`eth0`, 10.99.0.1) sits in namespace `peer`,
/// as a NIC's wire would; `fm0` in namespace `other` is the foreign macvlan (10.99.0.20).
@Suite("Macvlan interfaces (kernel)", .timeLimit(.minutes(10)))   // time waiting in Heavy's queue counts
struct MacvlanKernelTests {
    static let peer = "10.99.0.1", foreign = "10.99.0.20", mine = "10.99.0.10"

    static func manifest(parent: String = "vp0", mode: String = "bridge") -> String {
        """
        version: 1
        name: mv-itest
        containers:
          - name: app
            netns: app
            interfaces:
              - name: eth1
                macvlan: {parent: \(parent), mode: \(mode)}
                addresses: [\(mine)/24]
            routes:
              - {to: default, via: \(peer)}
        """
    }

    /// The parent, its peer namespace and the foreign macvlan, made with iproute2.
    static func wire(_ sandbox: Sandbox) throws {
        for line in ["ip netns add peer", "ip netns add other",
                     "ip link add vp0 type veth peer name eth0 netns peer", "ip link set vp0 up",
                     "ip -n peer link set eth0 up", "ip -n peer addr add \(peer)/24 dev eth0",
                     "ip link add link vp0 name fm0 netns other type macvlan mode bridge",
                     "ip -n other link set fm0 up", "ip -n other addr add \(foreign)/24 dev fm0"] {
            let r = try sandbox.sh(line)
            try #require(r.succeeded, "setup: \(r)")
        }
    }

    /// `ip -d -j link show` of a link: its kind and mode, its parent's ifindex, its alias.
    static func details(_ sandbox: Sandbox, _ dev: String, netns: String) throws -> [String: Any]? {
        let r = try sandbox.run(["ip", "-n", netns, "-d", "-j", "link", "show", "dev", dev])
        guard r.succeeded, let data = r.stdout.data(using: .utf8),
              let list = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return nil }
        return list.first
    }

    static func kind(_ link: [String: Any]?) -> (kind: String?, mode: String?) {
        let info = link?["linkinfo"] as? [String: Any]
        return (info?["info_kind"] as? String, (info?["info_data"] as? [String: Any])?["mode"] as? String)
    }

    @Test("apply: the container pings the peer and the foreign macvlan, verify passes, plan exits 0; destroy leaves the foreign one")
    func lifecycle() async throws {
        try await Heavy.run {
            let sandbox = try Sandbox()
            try Self.wire(sandbox)
            let manifest = try sandbox.writeManifest(Self.manifest())
            try sandbox.applyOrFail(manifest)

            let link = try Self.details(sandbox, "eth1", netns: "app")
            #expect(Self.kind(link).kind == "macvlan" && Self.kind(link).mode == "bridge", "\(link ?? [:])")
            #expect((link?["ifalias"] as? String)?.hasPrefix("plumb:") == true, "\(link ?? [:])")
            let ping = try sandbox.ping(from: "app", Self.peer)
            #expect(ping.succeeded, "\(ping)")
            let sibling = try sandbox.ping(from: "app", Self.foreign)
            #expect(sibling.succeeded, "a bridge-mode sibling on the same parent: \(sibling)")

            let verify = try sandbox.plumb("verify", manifest, "--output", "json")
            #expect(verify.status == 0, "\(verify)")
            let checks = try verify.decode(VerifyReport.self).allChecks.map(\.check)
            #expect(checks.contains { $0.name == "macvlan" && $0.status == "pass" }, "\(checks)")
            #expect(checks.contains { $0.name == "probe" && $0.status == "pass" }, "\(checks)")
            try sandbox.expectConverged(manifest)

            let destroy = try sandbox.plumb("destroy", manifest)
            #expect(destroy.status == 0, "\(destroy)")
            #expect(try Set(sandbox.netnsList()) == ["peer", "other"])
            #expect(try sandbox.links() == ["lo", "vp0"])
            let survivor = try Self.details(sandbox, "fm0", netns: "other")
            #expect(Self.kind(survivor).kind == "macvlan" && survivor?["ifalias"] == nil, "\(survivor ?? [:])")
            let still = try sandbox.ping(from: "other", Self.peer)
            #expect(still.succeeded, "the foreign macvlan after destroy: \(still)")
        }
    }

    @Test("drift: deleted, renamed inside the container, moved to the host — plan exits 2, apply repairs, the peer answers")
    func driftRepaired() async throws {
        try await Heavy.run {
            let sandbox = try Sandbox()
            try Self.wire(sandbox)
            let manifest = try sandbox.writeManifest(Self.manifest())
            try sandbox.applyOrFail(manifest)
            // The sandbox's own namespace is its holder's: never `netns 1`, the machine's.
            let drifts = [("deleted", "ip -n app link del eth1"),
                          ("renamed", "ip -n app link set eth1 name side0"),
                          ("moved to the host", "ip -n app link set eth1 netns \(sandbox.holderPID)")]
            for (what, command) in drifts {
                let r = try sandbox.sh(command)
                try #require(r.succeeded, "\(what): \(r)")
                let plan = try sandbox.plumb("plan", manifest, "--detailed-exitcode")
                #expect(plan.status == 2, "\(what): \(plan)")
                let apply = try sandbox.plumb("apply", manifest)
                #expect(apply.status == 0, "\(what): \(apply)")
                try sandbox.expectConverged(manifest)
                #expect(try sandbox.addresses(netns: "app", dev: "eth1") == ["\(Self.mine)/24"], "\(what)")
                #expect(try sandbox.routes(netns: "app").contains(.init(dst: "default", gateway: Self.peer, dev: "eth1")), "\(what)")
                #expect(try sandbox.links() == ["lo", "vp0"], "\(what): a macvlan left in the host")
                let ping = try sandbox.ping(from: "app", Self.peer)
                #expect(ping.succeeded, "\(what): \(ping)")
            }
            let destroy = try sandbox.plumb("destroy", manifest)
            #expect(destroy.status == 0, "\(destroy)")
            #expect(Self.kind(try Self.details(sandbox, "fm0", netns: "other")).kind == "macvlan")
        }
    }

    @Test("a parent that does not exist and a mode the kernel does not have: refused with path and line, nothing touched")
    func refusals() async throws {
        try await Heavy.run {
            let sandbox = try Sandbox()
            try Self.wire(sandbox)
            let cases = [(Self.manifest(parent: "nosuch0"),
                          "containers[0].interfaces[0].macvlan.parent: parent nosuch0 does not exist in the host namespace (line 8)"),
                         (Self.manifest(mode: "bridged"),
                          #"containers[0].interfaces[0].macvlan.mode: expected one of bridge, private, vepa, passthru, got "bridged" (line 8)"#)]
            for (text, message) in cases {
                let manifest = try sandbox.writeManifest(text)
                let apply = try sandbox.plumb("apply", manifest)
                #expect(apply.status != 0, "\(apply)")
                #expect(apply.stderr.contains(message), "\(apply)")
                #expect(try Set(sandbox.netnsList()) == ["peer", "other"])
                #expect(try sandbox.links() == ["lo", "vp0"])
                #expect(try sandbox.list("/run/plumb").filter { $0.hasSuffix(".json") }.isEmpty)
            }
        }
    }

    @Test("destroying the manifest whose bridge is another manifest's macvlan parent is refused, nothing changed")
    func parentInUse() async throws {
        try await Heavy.run {
            let sandbox = try Sandbox()
            let net = try sandbox.writeManifest("version: 1\nname: net\nbridges: [{name: br9}]\n", fileName: "net.yaml")
            let child = try sandbox.writeManifest("""
                version: 1
                name: child
                containers:
                  - {name: c, netns: c, interfaces: [{name: eth1, macvlan: {parent: br9}, addresses: [10.9.0.5/24]}]}
                """, fileName: "child.yaml")
            try sandbox.applyOrFail(net)
            // A bridge without ports has no carrier: the macvlan on it is made, not verified.
            let apply = try sandbox.plumb("apply", "--no-verify", child)
            try #require(apply.status == 0, "\(apply)")
            let show = try sandbox.plumb("show")
            #expect(show.stdout.contains("macvlan eth1 in netns c on br9"), "\(show)")

            let refused = try sandbox.plumb("destroy", net)
            #expect(refused.status != 0, "\(refused)")
            #expect(refused.stderr.contains("br9 is the parent of macvlan eth1 in netns c of manifest child"), "\(refused)")
            #expect(try sandbox.links() == ["lo", "br9"])
            #expect(Self.kind(try Self.details(sandbox, "eth1", netns: "c")).kind == "macvlan")

            #expect(try sandbox.plumb("destroy", child).status == 0)
            #expect(try sandbox.plumb("destroy", net).status == 0)
            try sandbox.expectPristine(manifest: "net")
        }
    }

    @Test("every mode: apply converges, the kernel shows the mode; passthru keeps the parent's MAC")
    func everyMode() async throws {
        try await Heavy.run {
            let sandbox = try Sandbox()
            try Self.wire(sandbox)
            try sandbox.must(["ip", "-n", "other", "link", "del", "fm0"])   // passthru allows no sibling
            let parentMAC = try sandbox.linkObjects().first { $0["ifname"] as? String == "vp0" }?["address"] as? String
            // Each apply after the first changes the mode: the macvlan is re-created.
            for mode in ["passthru", "vepa", "private", "bridge"] {
                let manifest = try sandbox.writeManifest(Self.manifest(mode: mode), fileName: "\(mode).yaml")
                try sandbox.applyOrFail(manifest)
                let link = try Self.details(sandbox, "eth1", netns: "app")
                #expect(Self.kind(link).mode == mode, "\(link ?? [:])")
                if mode == "passthru" { #expect(link?["address"] as? String == parentMAC, "\(link ?? [:])") }
                #expect(try sandbox.linkObjects().first { $0["ifname"] as? String == "vp0" }?["address"] as? String == parentMAC)
                try sandbox.expectConverged(manifest)
                let ping = try sandbox.ping(from: "app", Self.peer)
                #expect(ping.succeeded, "\(mode): \(ping)")
            }
        }
    }

    @Test("a container's macvlan named like a host link: born under a temporary name and renamed inside (the kernel looks the name up in the host first); the host link untouched")
    func nameTakenInTheHost() async throws {
        try await Heavy.run {
            let sandbox = try Sandbox()
            try Self.wire(sandbox)
            // A host link called eth1: RTM_NEWLINK "eth1" sent from the host would be EEXIST.
            try #require(try sandbox.sh("ip link add eth1 type bridge && ip link set eth1 up").succeeded)
            let before = try sandbox.linkObjects().first { $0["ifname"] as? String == "eth1" }
            let manifest = try sandbox.writeManifest(Self.manifest())
            let plan = try sandbox.plumb("plan", manifest)
            #expect(plan.stdout.contains(" name plumb") && plan.stdout.contains(" name eth1 alias"), "\(plan)")
            try sandbox.applyOrFail(manifest)
            let link = try Self.details(sandbox, "eth1", netns: "app")
            #expect(Self.kind(link).kind == "macvlan", "\(link ?? [:])")
            #expect(try sandbox.ping(from: "app", Self.peer).succeeded)
            try sandbox.expectConverged(manifest)
            let after = try sandbox.linkObjects().first { $0["ifname"] as? String == "eth1" }
            #expect(after?["ifindex"] as? Int == before?["ifindex"] as? Int && after?["address"] as? String == before?["address"] as? String
                    && after?["ifalias"] == nil, "the host's eth1 changed: \(after ?? [:])")
            let destroy = try sandbox.plumb("destroy", manifest)
            #expect(destroy.status == 0, "\(destroy)")
            #expect(try sandbox.linkObjects().contains { $0["ifname"] as? String == "eth1" }, "the host's eth1 went")
        }
    }
}
