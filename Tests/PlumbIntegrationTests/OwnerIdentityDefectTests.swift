import Foundation
import Testing

/// Ownership defects around *who* owns what (docs/ARCHITECTURE.md §2, "Owners are typed"):
/// owners whose names collide when spelled as strings — two `web.yaml` files, CLI manifest
/// `x--y` and hook container `y` of `x`, CNI networks `a`/`a--x` and `Net`/`net` — two
/// manifests sharing one namespace, and two containers claiming one container entry. Each
/// owner must keep its own record, its own links and its own nftables table, and one
/// owner's destroy, GC, DEL or poststop must leave every other owner working.
@Suite("Ownership defects: owner identities", .timeLimit(.minutes(10)))
struct OwnerIdentityDefectTests {
    // MARK: 4. Same file name in two folders

    /// A manifest without `name:`: its name comes from its file name, web.
    static func unnamed(bridge: String, subnet: Int, container: String) -> String {
        """
        version: 1
        bridges:
          - name: \(bridge)
            addresses: [10.\(subnet).0.1/24]
            nat: {masquerade: true}
        containers:
          - name: \(container)
            netns: \(container)
            interfaces:
              - {name: eth0, veth: {bridge: \(bridge)}, addresses: [10.\(subnet).0.2/24]}
            routes:
              - {to: default, via: 10.\(subnet).0.1}
        """
    }

    @Test("dir1/web.yaml and dir2/web.yaml without name: two records, two nft tables; destroying one leaves the other's bridge, table and verify passing")
    func sameFileNameInTwoFolders() throws {
        let sandbox = try Sandbox()
        for dir in ["dir1", "dir2"] {
            try FileManager.default.createDirectory(at: sandbox.scratch.appendingPathComponent(dir), withIntermediateDirectories: true)
        }
        let one = try sandbox.writeManifest(Self.unnamed(bridge: "br1", subnet: 61, container: "a"), fileName: "dir1/web.yaml")
        let two = try sandbox.writeManifest(Self.unnamed(bridge: "br2", subnet: 62, container: "b"), fileName: "dir2/web.yaml")
        try sandbox.applyOrFail(one)
        try sandbox.applyOrFail(two)

        let records = try sandbox.records().filter { $0.kind == "manifest" && $0.manifest == "web" }
        #expect(records.count == 2 && Set(records.map(\.id)).count == 2, "records: \(records)")
        let oneID = try Self.ownerID(sandbox, one), twoID = try Self.ownerID(sandbox, two)
        #expect(oneID != twoID)
        let tables = try sandbox.nftTables().filter { $0.hasPrefix("inet plumb_web_") }
        #expect(tables.count == 2, "tables: \(tables)")

        let destroy = try sandbox.plumb("destroy", one)
        #expect(destroy.status == 0, "\(destroy)")
        #expect(try sandbox.facts(of: "br1") == nil, "dir1's br1 outlived its destroy")
        #expect(try sandbox.facts(of: "br2") != nil, "dir1's destroy removed dir2's br2")
        #expect(try sandbox.links(master: "br2") == ["b-eth0"])
        let left = try sandbox.nftTables().filter { $0.hasPrefix("inet plumb_web_") }
        #expect(left.count == 1 && left.allSatisfy { $0.hasSuffix(Self.hex(twoID)) }, "tables after destroying dir1: \(left)")
        #expect(try sandbox.records().map(\.id) == [twoID])
        #expect(try sandbox.sysctl("net/ipv4/ip_forward") == "1", "dir2's masquerade still needs forwarding")
        let verify = try sandbox.plumb("verify", two)
        #expect(verify.status == 0, "\(verify)")
        #expect(try sandbox.netnsList() == ["b"])
    }

    /// The record id `plan --output json` names for a manifest.
    static func ownerID(_ sandbox: Sandbox, _ manifest: String) throws -> String {
        let plan = try sandbox.plumb("plan", manifest, "--output", "json")
        let root = try #require(CNISchema.object(plan.stdout), "\(plan)")
        return try #require(root["owner"] as? String, "\(plan)")
    }

    /// The 16 hex digits of an owner id: the suffix of its nftables table's name.
    static func hex(_ id: String) -> String { String(id.split(separator: "-").last ?? "") }

    // MARK: 5. CLI manifest x--y and hook container y of manifest x

    static let xDashDashY = """
        version: 1
        name: x--y
        bridges:
          - name: bra
            addresses: [10.71.0.1/24]
        containers:
          - name: y
            netns: y
            interfaces:
              - {name: eth0, veth: {bridge: bra, hostName: xy-eth0}, addresses: [10.71.0.2/24]}
        """

    static let x = """
        version: 1
        name: x
        bridges:
          - name: brb
            addresses: [10.72.0.1/24]
        containers:
          - name: y
            interfaces:
              - {name: eth0, veth: {bridge: brb}, addresses: [10.72.0.2/24]}
        """

    @Test("CLI manifest x--y and hook container y of manifest x: separate records; destroying x--y leaves the hook layer and its container working")
    func manifestXDashDashYAndHookContainerYOfX() throws {
        let sandbox = try Sandbox()
        let xy = try sandbox.writeManifest(Self.xDashDashY, fileName: "xy.yaml")
        let x = try sandbox.writeManifest(Self.x, fileName: "x.yaml")
        try sandbox.applyOrFail(xy)
        let container = try Holder(sandbox)
        defer { container.stop() }
        let create = try HookRaceTests.hook(sandbox, "createRuntime", x, container: "y", id: "ctr-y", pid: container.pid)
        try #require(create.status == 0, "\(create)")

        let cli = try #require(try sandbox.manifestRecord("x--y"), "no record of manifest x--y")
        let hook = try #require(try sandbox.hookRecord("x", container: "y"), "no record of hook container y of x")
        let host = try #require(try sandbox.manifestRecord("x"), "no record of manifest x")
        #expect(Set([cli.id, hook.id, host.id]).count == 3, "\(cli), \(hook), \(host)")
        for r in [cli, hook, host] { #expect(try sandbox.exists(r.file), "\(r.file) is missing") }

        let destroy = try sandbox.plumb("destroy", xy)
        #expect(destroy.status == 0, "\(destroy)")
        #expect(try sandbox.manifestRecord("x--y") == nil)
        #expect(try sandbox.facts(of: "bra") == nil, "x--y's bra outlived its destroy")
        #expect(try sandbox.hookRecord("x", container: "y")?.id == hook.id, "destroying x--y removed hook container y of x")
        #expect(try sandbox.manifestRecord("x")?.id == host.id, "destroying x--y removed manifest x's host layer")
        #expect(try sandbox.links(master: "brb") == ["y-eth0"])
        let addr = try sandbox.run(["nsenter", "-t", "\(container.pid)", "-n", "ip", "-o", "addr", "show", "dev", "eth0"])
        #expect(addr.stdout.contains("10.72.0.2/24"), "\(addr)")
        let ping = try sandbox.run(["nsenter", "-t", "\(container.pid)", "-n", "ping", "-c1", "-W2", "10.72.0.1"])
        #expect(ping.succeeded, "the hook container lost its gateway:\n\(ping)")
        let verify = try sandbox.plumb("verify", x)
        #expect(verify.status == 0 && verify.stdout.contains("PASS  eth0 probe"), "\(verify)")
    }

    // MARK: 6. CNI networks a / a--x and Net / net

    /// A bridge network with host-local IPAM (leases under the sandbox's /run).
    static func network(_ name: String, bridge: String, subnet: String, defaultRoute: Bool = true, extra: String = "") -> String {
        """
        {"cniVersion": "1.1.0", "name": "\(name)", "type": "plumb",
         "bridge": {"name": "\(bridge)", "masquerade": true},
         "ipam": {"type": "host-local", "ranges": [[{"subnet": "\(subnet)"}]],\(defaultRoute ? #" "routes": [{"dst": "0.0.0.0/0"}],"# : "")
                  "dataDir": "\(CNIPluginTests.ipamDir)"}\(extra)}
        """
    }

    /// ADD into /run/netns/NETNS (made here when missing); requires success.
    @discardableResult
    static func add(_ sandbox: Sandbox, _ config: String, id: String, netns: String, ifname: String = "eth0",
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> CNIAttachment {
        if try !sandbox.exists("/run/netns/\(netns)") { try sandbox.must(["ip", "netns", "add", netns]) }
        let add = try sandbox.cni(try CNIPlugin.plumb(), "ADD", config: config, containerID: id,
                                  netns: "/run/netns/\(netns)", ifname: ifname)
        try #require(add.succeeded, "ADD failed:\n\(add)", sourceLocation: sourceLocation)
        return try #require(CNIAttachment(add.stdout), "\(add)", sourceLocation: sourceLocation)
    }

    @Test("CNI GC of network a with an empty valid-attachments list leaves network a--x's attachment, bridge, table and lease")
    func cniGCOfADoesNotTouchADashDashX() throws {
        let sandbox = try CNIPluginTests.sandbox()
        let a = Self.network("a", bridge: "cni-a", subnet: "10.101.0.0/24")
        let ax = Self.network("a--x", bridge: "cni-ax", subnet: "10.102.0.0/24")
        try Self.add(sandbox, a, id: "x", netns: "na")
        let kept = try Self.add(sandbox, ax, id: "y", netns: "nax")
        let axTables = try sandbox.nftTables().filter { $0.hasPrefix("inet plumb_cni_a__x_") }
        try #require(axTables.count == 1, "\((try? sandbox.nftTables()) ?? [])")

        let gc = try sandbox.cni(try CNIPlugin.plumb(), "GC", config: Self.network("a", bridge: "cni-a", subnet: "10.101.0.0/24",
                                                                               extra: #", "cni.dev/valid-attachments": []"#),
                                 containerID: nil, netns: nil, ifname: nil)
        #expect(gc.succeeded, "\(gc)")
        // a's attachment and (its last one gone) its bridge and table went…
        #expect(try sandbox.links(netns: "na") == ["lo"], "GC left a's attachment")
        #expect(try eventually { try sandbox.facts(of: "cni-a") == nil }, "GC left a's bridge")
        // …a--x's did not.
        #expect(try sandbox.facts(of: "cni-ax") != nil, "GC of a removed a--x's bridge")
        #expect(try sandbox.links(master: "cni-ax").count == 1, "GC of a removed a--x's port")
        #expect(try sandbox.addresses(netns: "nax", dev: "eth0").contains(kept.address))
        let tables = try sandbox.nftTables().filter { $0.hasPrefix("inet plumb_cni_") }
        #expect(tables == axTables, "tables after GC of a: \(tables)")
        #expect(try sandbox.exists("\(CNIPluginTests.ipamDir)/a--x/\(kept.ip)"), "GC of a released a--x's lease")
        let records = try sandbox.records()
        #expect(records.filter { $0.network == "a--x" }.count == 2, "\(records)")
        #expect(records.filter { $0.network == "a" }.isEmpty, "\(records)")
        let ping = try sandbox.ping(from: "nax", "10.102.0.1")
        #expect(ping.succeeded, "\(ping)")
    }

    @Test("CNI networks Net and net, one container on both: DEL of Net's last attachment removes only Net's bridge and table")
    func cniNetAndNetAreIndependent() throws {
        let sandbox = try CNIPluginTests.sandbox()
        // Two networks of one container (eth0, eth1): no default routes, as a second network has none.
        let upper = Self.network("Net", bridge: "cni-Net", subnet: "10.103.0.0/24", defaultRoute: false)
        let lower = Self.network("net", bridge: "cni-net", subnet: "10.104.0.0/24", defaultRoute: false)
        try Self.add(sandbox, upper, id: "same", netns: "multi", ifname: "eth0")
        let kept = try Self.add(sandbox, lower, id: "same", netns: "multi", ifname: "eth1")
        let before = try sandbox.nftTables().filter { $0.hasPrefix("inet plumb_cni_net_") }
        try #require(before.count == 2, "\(before)")
        let lowerRecords = try sandbox.records().filter { $0.network == "net" }
        try #require(lowerRecords.count == 2, "\((try? sandbox.records()) ?? [])")

        let del = try sandbox.cni(try CNIPlugin.plumb(), "DEL", config: upper, containerID: "same",
                                  netns: "/run/netns/multi", ifname: "eth0")
        #expect(del.succeeded, "\(del)")
        #expect(try eventually { try sandbox.facts(of: "cni-Net") == nil }, "Net's bridge outlived its last DEL")
        #expect(try sandbox.facts(of: "cni-net") != nil, "DEL on Net removed net's bridge")
        #expect(try sandbox.links(master: "cni-net").count == 1)
        #expect(try !sandbox.links(netns: "multi").contains("eth0"), "Net's eth0 outlived DEL")
        #expect(try sandbox.addresses(netns: "multi", dev: "eth1").contains(kept.address))
        let after = try sandbox.nftTables().filter { $0.hasPrefix("inet plumb_cni_net_") }
        #expect(after.count == 1 && before.contains(after[0]), "tables after DEL on Net: \(after)")
        #expect(try Set(sandbox.records().filter { $0.network == "net" }.map(\.id)) == Set(lowerRecords.map(\.id)))
        #expect(try sandbox.records().filter { $0.network == "Net" }.isEmpty)
        let ping = try sandbox.ping(from: "multi", "10.104.0.1")
        #expect(ping.succeeded, "\(ping)")
    }

    // MARK: 7. One namespace, two manifests

    static let one = """
        version: 1
        name: one
        bridges:
          - name: br1
            addresses: [10.81.0.1/24]
        containers:
          - name: c
            netns: shared
            interfaces:
              - {name: eth0, veth: {bridge: br1}, addresses: [10.81.0.2/24]}
        """

    static let two = """
        version: 1
        name: two
        bridges:
          - name: br2
            addresses: [10.82.0.1/24]
        containers:
          - name: d
            netns: shared
            interfaces:
              - {name: eth1, veth: {bridge: br2}, addresses: [10.82.0.2/24]}
        """

    @Test("netns shared made by manifest one, used by manifest two: destroy one keeps it and two's eth1 working; destroy two then removes it")
    func sharedNamespaceGoesWithItsLastUser() throws {
        let sandbox = try Sandbox()
        let one = try sandbox.writeManifest(Self.one, fileName: "one.yaml")
        let two = try sandbox.writeManifest(Self.two, fileName: "two.yaml")
        try sandbox.applyOrFail(one)
        try sandbox.applyOrFail(two)
        try #require(try sandbox.links(netns: "shared") == ["lo", "eth0", "eth1"])

        let destroyOne = try sandbox.plumb("destroy", one)
        #expect(destroyOne.status == 0, "\(destroyOne)")
        #expect(try sandbox.netnsList() == ["shared"], "destroy one took the namespace manifest two uses")
        #expect(try eventually { try sandbox.links(netns: "shared") == ["lo", "eth1"] },
                "links in shared after destroy one: \((try? sandbox.links(netns: "shared")) ?? [])")
        #expect(try sandbox.addresses(netns: "shared", dev: "eth1").contains("10.82.0.2/24"))
        let ping = try sandbox.ping(from: "shared", "10.82.0.1")
        #expect(ping.succeeded, "\(ping)")
        let verify = try sandbox.plumb("verify", two)
        #expect(verify.status == 0, "\(verify)")

        let destroyTwo = try sandbox.plumb("destroy", two)
        #expect(destroyTwo.status == 0, "\(destroyTwo)")
        #expect(try sandbox.netnsList() == [], "the namespace outlived its last user:\n\(destroyTwo)")
        try sandbox.expectPristine(manifest: "two")
        #expect(try sandbox.records().isEmpty)
    }

    // MARK: 10. Two containers claiming one container entry

    static let hooked = """
        version: 1
        name: claim
        bridges:
          - name: br0
            addresses: [10.88.0.1/24]
        containers:
          - name: web
            interfaces:
              - {name: eth0, veth: {bridge: br0}, addresses: [10.88.0.2/24]}
        """

    @Test("two containers with the same plumb.network/container annotation: the second createRuntime is refused, and its poststop leaves the first working")
    func secondContainerOnOneEntry() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.hooked, fileName: "claim.yaml")
        let first = try Holder(sandbox), second = try Holder(sandbox)
        defer { first.stop(); second.stop() }
        let create1 = try HookRaceTests.hook(sandbox, "createRuntime", manifest, container: "web", id: "ctr-1", pid: first.pid)
        try #require(create1.status == 0, "\(create1)")
        let record = try #require(try sandbox.hookRecord("claim", container: "web"))

        let create2 = try HookRaceTests.hook(sandbox, "createRuntime", manifest, container: "web", id: "ctr-2", pid: second.pid)
        #expect(create2.status == 1, "\(create2)")
        #expect(create2.stderr.contains("ctr-1"), "the refusal does not name the container holding the entry:\n\(create2)")
        let secondLinks = try sandbox.run(["nsenter", "-t", "\(second.pid)", "-n", "ip", "-o", "link", "show"]).stdout
        #expect(!secondLinks.contains("eth0"), "the refused container got an eth0:\n\(secondLinks)")

        func firstWorks(_ when: String) throws {
            let addr = try sandbox.run(["nsenter", "-t", "\(first.pid)", "-n", "ip", "-o", "addr", "show", "dev", "eth0"])
            #expect(addr.stdout.contains("10.88.0.2/24"), "\(when): \(addr)")
            #expect(try sandbox.links(master: "br0") == ["web-eth0"], "\(when)")
            let ping = try sandbox.run(["nsenter", "-t", "\(first.pid)", "-n", "ping", "-c1", "-W2", "10.88.0.1"])
            #expect(ping.succeeded, "\(when): the first container lost its gateway:\n\(ping)")
            #expect(try sandbox.hookRecord("claim", container: "web")?.id == record.id, "\(when): the first container's record is gone")
        }
        try firstWorks("after the refused createRuntime")

        let stop2 = try HookRaceTests.hook(sandbox, "poststop", manifest, container: "web", id: "ctr-2", pid: 0)
        #expect(stop2.status == 0, "\(stop2)")
        try firstWorks("after the second container's poststop")
        let verify = try sandbox.plumb("verify", manifest)
        #expect(verify.status == 0 && verify.stdout.contains("PASS  eth0 probe"), "\(verify)")

        let stop1 = try HookRaceTests.hook(sandbox, "poststop", manifest, container: "web", id: "ctr-1", pid: 0)
        #expect(stop1.status == 0, "\(stop1)")
        #expect(try sandbox.hookRecord("claim", container: "web") == nil, "the first container's poststop left its record")
    }
}
