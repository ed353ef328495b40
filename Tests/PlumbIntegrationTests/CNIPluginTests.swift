import Foundation
import Testing

/// The CNI front end (docs/ARCHITECTURE.md §5), driven exactly as a runtime drives a plugin — config on
/// stdin, CNI_COMMAND / CNI_CONTAINERID / CNI_NETNS / CNI_IFNAME / CNI_PATH in the environment,
/// CNI_NETNS a namespace made by `ip netns add` — and, beside it, Debian's reference `bridge`
/// plugin with the equivalent config (ipMasq on, host-local IPAM). Both ADD results pass the
/// same spec check (CNISchema); the rest is what the kernel then shows.
@Suite("CNI plugin", .timeLimit(.minutes(10)))
struct CNIPluginTests {
    /// host-local keeps its leases here: under the sandbox's private /run, one file per address.
    static let ipamDir = "/run/cni-ipam"

    static func plumbConfig(version: String = "1.1.0", name: String = "plumbnet", bridge: String = "cni-br0",
                            subnet: String = "10.99.0.0/16", masquerade: Bool = true, extra: String = "") -> String {
        """
        {"cniVersion": "\(version)", "name": "\(name)", "type": "plumb",
         "bridge": {"name": "\(bridge)", "masquerade": \(masquerade)},
         "ipam": {"type": "host-local", "ranges": [[{"subnet": "\(subnet)"}]], "routes": [{"dst": "0.0.0.0/0"}],
                  "dataDir": "\(ipamDir)"}\(extra)}
        """
    }

    /// The reference plugin's equivalent: containernetworking-plugins 1.1.1 speaks CNI ≤ 1.0.0.
    static func referenceConfig(name: String = "refnet", subnet: String = "10.89.0.0/16") -> String {
        """
        {"cniVersion": "1.0.0", "name": "\(name)", "type": "bridge", "bridge": "cni-ref0",
         "isGateway": true, "ipMasq": true,
         "ipam": {"type": "host-local", "ranges": [[{"subnet": "\(subnet)"}]], "routes": [{"dst": "0.0.0.0/0"}],
                  "dataDir": "\(ipamDir)"}}
        """
    }

    // MARK: Harness self-test: the reference plugin, the env contract and the schema check

    @Test("harness: the reference bridge plugin's ADD passes the schema check, reaches its gateway, CHECK and DEL pass")
    func referenceBridgeHarness() throws {
        let sandbox = try Self.sandbox()
        let bridge = CNIPlugin.referenceBridge
        let config = Self.referenceConfig()
        let (add, attachment) = try addOrFail(sandbox, bridge, config: config, id: "ref-a", netns: "ref-a", version: "1.0.0")
        #expect(attachment.gateway == "10.89.0.1")
        let ping = try sandbox.ping(from: "ref-a", "10.89.0.1")
        #expect(ping.succeeded, "\(ping)")

        let check = try sandbox.cni(bridge, "CHECK", config: withPrevResult(config, add.stdout),
                                    containerID: "ref-a", netns: "/run/netns/ref-a")
        #expect(check.succeeded, "\(check)")
        let del = try sandbox.cni(bridge, "DEL", config: config, containerID: "ref-a", netns: "/run/netns/ref-a")
        #expect(del.succeeded, "\(del)")
        #expect(try eventually { try sandbox.links(master: "cni-ref0").isEmpty }, "the host veth outlived DEL")
        #expect(try !sandbox.exists("\(Self.ipamDir)/refnet/\(attachment.ip)"), "the lease outlived DEL")
        let again = try sandbox.cni(bridge, "DEL", config: config, containerID: "ref-a", netns: "/run/netns/ref-a")
        #expect(again.succeeded, "\(again)")

        // The error check on the reference's own error (1.1.1 omits cniVersion from it).
        let bad = try sandbox.cni(bridge, "ADD", config: "garbage", containerID: "ref-b", netns: "/run/netns/ref-a")
        #expect(!bad.succeeded)
        #expect(CNISchema.errorViolations(bad.stdout, requireVersion: false) == [], "\(bad)")
        #expect(CNISchema.errorCode(bad.stdout) == 6)
    }

    // MARK: ADD

    @Test("plumb and the reference bridge, driven alike: both ADD results pass the same spec check; both containers reach their gateway")
    func sideBySide() throws {
        let sandbox = try Self.sandbox()
        let (_, ours) = try addOrFail(sandbox, try CNIPlugin.plumb(), config: Self.plumbConfig(),
                                      id: "plumb-a", netns: "plumb-a", version: "1.1.0")
        let (_, theirs) = try addOrFail(sandbox, CNIPlugin.referenceBridge, config: Self.referenceConfig(),
                                        id: "ref-a", netns: "ref-a", version: "1.0.0")
        #expect(ours.gateway == "10.99.0.1", "host-local's gateway is the subnet's .1")
        #expect(theirs.gateway == "10.89.0.1")
        let ping = try sandbox.ping(from: "plumb-a", "10.99.0.1")
        #expect(ping.succeeded, "\(ping)")
        let refPing = try sandbox.ping(from: "ref-a", "10.89.0.1")
        #expect(refPing.succeeded, "\(refPing)")
    }

    @Test("ADD's result is what the kernel shows: eth0 with the address and the default route, the host veth on cni-br0 (gateway .1)")
    func addMatchesKernel() throws {
        let sandbox = try Self.sandbox()
        let (_, a) = try addOrFail(sandbox, try CNIPlugin.plumb(), config: Self.plumbConfig(),
                                   id: "ctr-a", netns: "a", version: "1.1.0")
        #expect(a.containerInterface == "eth0")
        #expect(try sandbox.addresses(netns: "a", dev: "eth0").contains(a.address), "eth0 lacks \(a.address)")
        #expect(try sandbox.routes(netns: "a").contains(.init(dst: "default", gateway: "10.99.0.1", dev: "eth0")),
                "\((try? sandbox.routes(netns: "a")) ?? [])")
        #expect(try sandbox.addresses(dev: "cni-br0").contains("10.99.0.1/16"), "the bridge has not the gateway")
        let ports = try sandbox.links(master: "cni-br0")
        #expect(ports.count == 1 && a.hostInterfaces.contains(ports[0]),
                "the result's host interfaces \(a.hostInterfaces) are not cni-br0's ports \(ports)")
        #expect(try sandbox.exists("\(Self.ipamDir)/plumbnet/\(a.ip)"), "host-local was not asked for the address")
    }

    @Test("two ADDs into two namespaces get different addresses, and both reach the gateway")
    func twoAttachments() throws {
        let sandbox = try Self.sandbox()
        let plumb = try CNIPlugin.plumb()
        let (_, a) = try addOrFail(sandbox, plumb, config: Self.plumbConfig(), id: "ctr-a", netns: "a", version: "1.1.0")
        let (_, b) = try addOrFail(sandbox, plumb, config: Self.plumbConfig(), id: "ctr-b", netns: "b", version: "1.1.0")
        #expect(a.address != b.address)
        #expect(try sandbox.links(master: "cni-br0").count == 2)
        for netns in ["a", "b"] {
            let ping = try sandbox.ping(from: netns, "10.99.0.1")
            #expect(ping.succeeded, "\(ping)")
        }
        let across = try sandbox.ping(from: "a", b.ip)
        #expect(across.succeeded, "a cannot reach b over the bridge: \(across)")
    }

    @Test("masquerade, plumb and reference alike: the container reaches 192.0.2.2, which has no route back")
    func masquerade() throws {
        let sandbox = try Self.sandbox()
        try sandbox.addUpstream()
        try addOrFail(sandbox, try CNIPlugin.plumb(), config: Self.plumbConfig(), id: "ctr-a", netns: "a", version: "1.1.0")
        try addOrFail(sandbox, CNIPlugin.referenceBridge, config: Self.referenceConfig(), id: "ref-a", netns: "ref-a", version: "1.0.0")
        let ours = try sandbox.ping(from: "a", Upstream.address)
        #expect(ours.succeeded, "plumb's masquerade: \(ours)")
        let theirs = try sandbox.ping(from: "ref-a", Upstream.address)
        #expect(theirs.succeeded, "the reference's ipMasq: \(theirs)")
    }

    @Test("the result is in the config's cniVersion (1.0.0 for podman 4's libcni, 0.4.0 with ips[].version)",
          arguments: ["1.0.0", "0.4.0"])
    func olderVersions(version: String) throws {
        let sandbox = try Self.sandbox()
        let (_, a) = try addOrFail(sandbox, try CNIPlugin.plumb(), config: Self.plumbConfig(version: version),
                                   id: "ctr-a", netns: "a", version: version)
        #expect(try sandbox.ping(from: "a", a.gateway ?? "10.99.0.1").succeeded)
    }

    // MARK: CHECK, DEL, GC

    @Test("CHECK with prevResult passes; after the address is removed by hand it fails with a spec error")
    func check() throws {
        let sandbox = try Self.sandbox()
        let plumb = try CNIPlugin.plumb()
        let config = Self.plumbConfig()
        let (add, a) = try addOrFail(sandbox, plumb, config: config, id: "ctr-a", netns: "a", version: "1.1.0")
        let checkConfig = try withPrevResult(config, add.stdout)
        let check = try sandbox.cni(plumb, "CHECK", config: checkConfig, containerID: "ctr-a", netns: "/run/netns/a")
        #expect(check.succeeded, "\(check)")

        try sandbox.must(["ip", "-n", "a", "addr", "del", a.address, "dev", "eth0"])
        let drifted = try sandbox.cni(plumb, "CHECK", config: checkConfig, containerID: "ctr-a", netns: "/run/netns/a")
        #expect(!drifted.succeeded, "CHECK passed without the address:\n\(drifted)")
        #expect(CNISchema.errorViolations(drifted.stdout) == [], "\(drifted)")
    }

    @Test("DEL removes the veth and the lease and any record of the container; a second DEL succeeds too")
    func delIsIdempotent() throws {
        let sandbox = try Self.sandbox()
        let plumb = try CNIPlugin.plumb()
        let config = Self.plumbConfig()
        let (_, a) = try addOrFail(sandbox, plumb, config: config, id: "ctr-a7c1", netns: "a", version: "1.1.0")
        let del = try sandbox.cni(plumb, "DEL", config: config, containerID: "ctr-a7c1", netns: "/run/netns/a")
        #expect(del.succeeded, "\(del)")
        #expect(del.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "DEL prints nothing on success")
        #expect(try eventually { try Self.veths(sandbox) == [] }, "left: \((try? sandbox.links()) ?? [])")
        #expect(try sandbox.links(netns: "a") == ["lo"], "eth0 is still in the namespace")
        #expect(try !sandbox.exists("\(Self.ipamDir)/plumbnet/\(a.ip)"), "the lease outlived DEL")
        try expectNoRecord(of: "ctr-a7c1", in: sandbox)

        let again = try sandbox.cni(plumb, "DEL", config: config, containerID: "ctr-a7c1", netns: "/run/netns/a")
        #expect(again.succeeded, "a second DEL failed:\n\(again)")
    }

    @Test("an ADD whose verify fails (the bridge drops what the container sends its gateway) fails with code 101 and leaves no veth, lease, record or lock file")
    func failedVerifyLeavesNothing() throws {
        let sandbox = try Self.sandbox()
        let plumb = try CNIPlugin.plumb()
        let config = Self.plumbConfig()
        // A table of the operator's own, not Plumb's: no frame of a port reaches the bridge
        // itself, so the gateway never hears a container (nor answers its ARP).
        try sandbox.must(["nft", "add table bridge theirs; add chain bridge theirs in { type filter hook input priority 0; }; "
                          + "add rule bridge theirs in ether type arp drop; add rule bridge theirs in ether type ip drop"])
        try sandbox.must(["ip", "netns", "add", "a"])
        let add = try sandbox.cni(plumb, "ADD", config: config, containerID: "ctr-dropped", netns: "/run/netns/a")
        #expect(!add.succeeded && CNISchema.errorCode(add.stdout) == 101, "\(add)")
        #expect(CNISchema.errorViolations(add.stdout) == [], "\(add)")
        #expect(try eventually { try Self.veths(sandbox) == [] }, "left: \((try? sandbox.links()) ?? [])")
        #expect(try sandbox.links(netns: "a") == ["lo"], "eth0 is still in the namespace")
        let leases = try sandbox.sh("ls \(Self.ipamDir)/plumbnet 2>/dev/null | grep -c '^10\\.' ; true").stdout
        #expect(leases.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "a lease outlived the failed ADD: \(leases)")
        try expectNoRecord(of: "ctr-dropped", in: sandbox)
        let records = try sandbox.sh("ls -A /run/plumb 2>/dev/null | grep -v '^\\.' ; true").stdout
        #expect(records.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "records left: \(records)")
        #expect(try sandbox.sh("nft list table bridge theirs").stdout.contains("ether type arp drop"), "the operator's table changed")
    }

    @Test("an ADD whose configuration changed while attachments use the network (another subnet, masquerade off) adds its gateway to the bridge: the earlier attachment keeps its gateway and masquerade; the last DEL removes both")
    func anotherGatewayIsAdded() throws {
        let sandbox = try Self.sandbox()
        let plumb = try CNIPlugin.plumb()
        let before = Self.plumbConfig(subnet: "10.99.0.0/16"), after = Self.plumbConfig(subnet: "10.98.0.0/16", masquerade: false)
        _ = try addOrFail(sandbox, plumb, config: before, id: "ctr-old", netns: "a", version: "1.1.0")
        _ = try addOrFail(sandbox, plumb, config: after, id: "ctr-new", netns: "b", version: "1.1.0")
        let held = try sandbox.addresses(dev: "cni-br0")
        #expect(held.contains("10.99.0.1/16") && held.contains("10.98.0.1/16"), "cni-br0 holds \(held)")
        for (netns, gateway) in [("a", "10.99.0.1"), ("b", "10.98.0.1")] {
            let ping = try sandbox.ping(from: netns, gateway)
            #expect(ping.succeeded, "\(netns) cannot reach \(gateway): \(ping)")
        }
        let rules = try sandbox.must(["nft", "list", "ruleset"]).stdout
        #expect(rules.contains("ip saddr 10.99.0.0/16") && rules.contains("ip saddr 10.98.0.0/16"), "masquerade rules:\n\(rules)")

        for (id, netns, config) in [("ctr-old", "a", before), ("ctr-new", "b", after)] {
            let del = try sandbox.cni(plumb, "DEL", config: config, containerID: id, netns: "/run/netns/\(netns)")
            #expect(del.succeeded, "\(del)")
        }
        #expect(try eventually { try sandbox.links() == ["lo"] }, "left: \((try? sandbox.links()) ?? [])")
        #expect(try sandbox.must(["nft", "list", "tables"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        try expectNoRecord(of: "ctr-old", in: sandbox)
    }

    @Test("host-local's range set with a full first range: the next ADD gets the second range's gateway too; every attachment reaches its own")
    func nextRangeOfTheSet() throws {
        let sandbox = try Self.sandbox()
        let plumb = try CNIPlugin.plumb()
        // A /30 holds one address besides its gateway: the second ADD takes the next range.
        let config = """
            {"cniVersion": "1.1.0", "name": "plumbnet", "type": "plumb", "bridge": {"name": "cni-br0", "masquerade": true},
             "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.96.0.0/30"}, {"subnet": "10.95.0.0/24"}]],
                      "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "\(Self.ipamDir)"}}
            """
        let (_, first) = try addOrFail(sandbox, plumb, config: config, id: "ctr-a", netns: "a", version: "1.1.0")
        let (_, second) = try addOrFail(sandbox, plumb, config: config, id: "ctr-b", netns: "b", version: "1.1.0")
        #expect(first.ip == "10.96.0.2" && second.ip == "10.95.0.2", "addresses: \(first.ip), \(second.ip)")
        let held = try sandbox.addresses(dev: "cni-br0")
        #expect(held.contains("10.96.0.1/30") && held.contains("10.95.0.1/24"), "cni-br0 holds \(held)")
        for (netns, gateway) in [("a", "10.96.0.1"), ("b", "10.95.0.1")] {
            let ping = try sandbox.ping(from: netns, gateway)
            #expect(ping.succeeded, "\(netns) cannot reach \(gateway): \(ping)")
        }
    }

    @Test("DEL after the namespace is gone succeeds and releases the lease")
    func delAfterNetnsGone() throws {
        let sandbox = try Self.sandbox()
        let plumb = try CNIPlugin.plumb()
        let config = Self.plumbConfig()
        let (_, a) = try addOrFail(sandbox, plumb, config: config, id: "ctr-a", netns: "a", version: "1.1.0")
        try sandbox.must(["ip", "netns", "del", "a"])
        let del = try sandbox.cni(plumb, "DEL", config: config, containerID: "ctr-a", netns: "/run/netns/a")
        #expect(del.succeeded, "\(del)")
        #expect(try eventually { try Self.veths(sandbox) == [] }, "left: \((try? sandbox.links()) ?? [])")
        #expect(try !sandbox.exists("\(Self.ipamDir)/plumbnet/\(a.ip)"), "the lease outlived DEL")
        try expectNoRecord(of: "ctr-a", in: sandbox)
    }

    @Test("DEL whose IPAM plugin is gone from CNI_PATH still removes the links and record, and fails naming the plugin")
    func delWithoutIPAMPlugin() throws {
        let sandbox = try Self.sandbox()
        let plumb = try CNIPlugin.plumb()
        let config = Self.plumbConfig()
        _ = try addOrFail(sandbox, plumb, config: config, id: "ctr-noipam", netns: "a", version: "1.1.0")
        let empty = sandbox.scratch.appendingPathComponent("empty-cni-path")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let del = try sandbox.cni(plumb, "DEL", config: config, containerID: "ctr-noipam", netns: "/run/netns/a", path: empty.path)
        #expect(!del.succeeded && del.stdout.contains("host-local") && del.stdout.contains("not found"), "\(del)")
        #expect(try eventually { try Self.veths(sandbox) == [] }, "left: \((try? sandbox.links()) ?? [])")
        try expectNoRecord(of: "ctr-noipam", in: sandbox)
    }

    @Test("GC with cni.dev/valid-attachments removes only the attachments not listed")
    func gc() throws {
        let sandbox = try Self.sandbox()
        let plumb = try CNIPlugin.plumb()
        let (_, a) = try addOrFail(sandbox, plumb, config: Self.plumbConfig(), id: "ctr-keep", netns: "a", version: "1.1.0")
        let (_, b) = try addOrFail(sandbox, plumb, config: Self.plumbConfig(), id: "ctr-stale", netns: "b", version: "1.1.0")
        let gcConfig = Self.plumbConfig(extra: #", "cni.dev/valid-attachments": [{"containerID": "ctr-keep", "ifname": "eth0"}]"#)
        let gc = try sandbox.cni(plumb, "GC", config: gcConfig, containerID: nil, netns: nil, ifname: nil)
        #expect(gc.succeeded, "\(gc)")
        #expect(try eventually { try sandbox.links(master: "cni-br0").count == 1 }, "\((try? sandbox.links()) ?? [])")
        #expect(try !sandbox.exists("\(Self.ipamDir)/plumbnet/\(b.ip)"), "the stale lease survived GC")
        #expect(try sandbox.exists("\(Self.ipamDir)/plumbnet/\(a.ip)"), "GC released the valid attachment's lease")
        let ping = try sandbox.ping(from: "a", "10.99.0.1")
        #expect(ping.succeeded, "the valid attachment stopped working: \(ping)")
        try expectNoRecord(of: "ctr-stale", in: sandbox)
    }

    // MARK: What an ADD does not wait for

    /// A `host-local` of the test's own in `bin`: a shell script that logs each call's
    /// command and the cniVersion it was given to `log`, then does `body` with the input in $in.
    static func loggingIPAM(_ sandbox: Sandbox, body: String) throws -> (bin: String, log: String) {
        let bin = sandbox.scratch.appendingPathComponent("cni-bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let log = sandbox.scratch.appendingPathComponent("ipam.log").path
        try sandbox.writeExecutable("""
            #!/bin/sh
            in=$(cat)
            v=$(printf '%s' "$in" | tr -d ' \n' | grep -o '"cniVersion":"[^"]*"' | head -1 | cut -d'"' -f4)
            echo "$CNI_COMMAND $v" >>'\(log)'
            \(body)
            """, to: bin.appendingPathComponent("host-local").path)
        return (bin.path, log)
    }

    /// ADDs of ctr-a then ctr-b with the IPAM plugins in `bin`; their results.
    static func addTwo(_ sandbox: Sandbox, bin: String) throws -> [String] {
        let plumb = try CNIPlugin.plumb()
        return try ["ctr-a", "ctr-b"].enumerated().map { i, id in
            try sandbox.must(["ip", "netns", "add", id])
            let add = try sandbox.cni(plumb, "ADD", config: Self.plumbConfig(), containerID: id, netns: "/run/netns/\(id)", path: bin)
            try #require(add.succeeded, "ADD \(i + 1): \(add)")
            return add.stdout
        }
    }

    static func runs(_ log: String) throws -> [String] {
        try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test("an IPAM plugin that takes the assumed label is never asked VERSION: each ADD, the host's first too, is one run labelled 1.0.0 (Debian's host-local)")
    func ipamNotAskedVersions() throws {
        let sandbox = try Self.sandbox()
        let (bin, log) = try Self.loggingIPAM(sandbox, body: "printf '%s' \"$in\" | exec \(CNIPlugin.referenceDirectory)/host-local")
        _ = try Self.addTwo(sandbox, bin: bin)
        let runs = try Self.runs(log)
        #expect(runs == ["ADD 1.0.0", "ADD 1.0.0"], "IPAM runs: \(runs)")
    }

    @Test("an IPAM plugin that speaks only up to 0.4.0 refuses the host's first ADD labelled 1.0.0, is asked VERSION, gets the ADD again labelled 0.4.0, and every later ADD labelled 0.4.0 at once")
    func oldIPAMPluginNegotiated() throws {
        let sandbox = try Self.sandbox()
        // An old plugin's skeleton: VERSION lists what it speaks; any other version is refused
        // with code 1 before the plugin does anything.
        let (bin, log) = try Self.loggingIPAM(sandbox, body: """
            case "$CNI_COMMAND" in
              VERSION) echo '{"cniVersion":"0.4.0","supportedVersions":["0.3.0","0.3.1","0.4.0"]}'; exit 0 ;;
            esac
            case "$v" in
              0.3.0|0.3.1|0.4.0) printf '%s' "$in" | exec \(CNIPlugin.referenceDirectory)/host-local ;;
              *) echo '{"cniVersion":"0.4.0","code":1,"msg":"incompatible CNI versions"}'; exit 1 ;;
            esac
            """)
        for (i, out) in try Self.addTwo(sandbox, bin: bin).enumerated() {
            let result = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]
            #expect(result?["cniVersion"] as? String == "1.1.0", "ADD \(i + 1) result: \(out)")
            #expect((result?["ips"] as? [Any])?.count == 1, "ADD \(i + 1) result: \(out)")
        }
        let runs = try Self.runs(log)
        #expect(runs == ["ADD 1.0.0", "VERSION 1.1.0", "ADD 0.4.0", "ADD 0.4.0"], "IPAM runs: \(runs)")
        let del = try sandbox.cni(try CNIPlugin.plumb(), "DEL", config: Self.plumbConfig(), containerID: "ctr-b", netns: "/run/netns/ctr-b", path: bin)
        #expect(del.succeeded, "\(del)")
        #expect(try Self.runs(log).last == "DEL 0.4.0", "the release was not labelled 0.4.0 at once")
    }

    @Test("ADD does not wait for the kernel to remove its verify's outside network, and the kernel does: no plumbv link, no 198.18/15 route, no record of it")
    func outsideReleasedByADD() throws {
        let sandbox = try Self.sandbox()
        try addOrFail(sandbox, try CNIPlugin.plumb(), config: Self.plumbConfig(), id: "ctr-a", netns: "a", version: "1.1.0")
        try ForwardVerifyTests.expectNoOutside(sandbox)
        let records = try sandbox.sh("cat /run/plumb/*.json").stdout
        #expect(!records.contains("plumbv") && !records.contains("198.18.") && !records.contains("198.19."),
                "a record names the outside network:\n\(records)")
        #expect(try sandbox.links(master: "cni-br0").count == 1, "\((try? sandbox.links()) ?? [])")
    }

    // MARK: VERSION, STATUS, errors

    @Test("VERSION lists 1.1.0, 1.0.0 and 0.4.0; STATUS exits 0")
    func versionAndStatus() throws {
        let sandbox = try Self.sandbox()
        let plumb = try CNIPlugin.plumb()
        let version = try sandbox.cni(plumb, "VERSION", config: #"{"cniVersion": "1.1.0"}"#, ifname: nil)
        #expect(version.succeeded, "\(version)")
        let object = try #require(CNISchema.object(version.stdout), "\(version)")
        #expect(object["cniVersion"] as? String == "1.1.0")
        let supported = object["supportedVersions"] as? [String] ?? []
        for v in ["1.1.0", "1.0.0", "0.4.0"] { #expect(supported.contains(v), "\(supported)") }

        let status = try sandbox.cni(plumb, "STATUS", config: Self.plumbConfig(), ifname: nil)
        #expect(status.succeeded, "\(status)")
    }

    @Test("bad input: exit non-zero, a spec error on stdout with the right code, nothing made",
          arguments: [
            BadInput(what: "not JSON", config: "{not json", codes: [6]),
            BadInput(what: "bridge of the wrong type", config: #"{"cniVersion": "1.1.0", "name": "plumbnet", "type": "plumb", "bridge": 42, "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.99.0.0/16"}]]}}"#, codes: [6, 7]),
            BadInput(what: "an unknown cniVersion", config: plumbConfig(version: "9.9.9"), codes: [1]),
            BadInput(what: "no CNI_CONTAINERID", config: plumbConfig(), codes: [4], containerID: nil),
            BadInput(what: "a refused runtimeConfig field in a 0.4.0 configuration: the error is labelled 0.4.0",
                     config: plumbConfig(version: "0.4.0", extra: #", "runtimeConfig": {"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp", "hostIP": "127.0.0.1"}]}"#),
                     codes: [2], labelled: "0.4.0"),
            BadInput(what: "CNI_NETNS a plain file", config: plumbConfig(), codes: [4], netns: "/etc/hostname",
                     says: "CNI_NETNS /etc/hostname: it is not a namespace file"),
            BadInput(what: "CNI_NETNS missing", config: plumbConfig(), codes: [4], netns: "/run/netns/gone",
                     says: "CNI_NETNS /run/netns/gone: it cannot be read: No such file or directory (ENOENT)"),
          ])
    func badInput(_ input: BadInput) throws {
        let sandbox = try Self.sandbox()
        try sandbox.must(["ip", "netns", "add", "a"])
        let add = try sandbox.cni(try CNIPlugin.plumb(), "ADD", config: input.config,
                                  containerID: input.containerID, netns: input.netns)
        #expect(input.says.isEmpty || add.stdout.contains(input.says), "\(add)")
        if let v = input.labelled { #expect(CNISchema.object(add.stdout)?["cniVersion"] as? String == v, "\(add)") }
        #expect(!add.succeeded && !add.timedOut, "\(add)")
        #expect(CNISchema.errorViolations(add.stdout) == [], "\(add)")
        let code = CNISchema.errorCode(add.stdout)
        #expect(code.map(input.codes.contains) == true, "code \(String(describing: code)), expected one of \(input.codes):\n\(add)")
        #expect(try sandbox.links() == ["lo"])
        #expect(try sandbox.links(netns: "a") == ["lo"])
    }

    @Test("a CNI_IFNAME a foreign link holds in the container, a bridge.name that is a foreign veth: code 7 naming the CNI field (never a manifest path), theirs untouched, nothing made")
    func errorsNameCNIFields() throws {
        let sandbox = try Self.sandbox()
        let plumb = try CNIPlugin.plumb()
        try sandbox.must(["ip", "netns", "add", "a"])
        try sandbox.must(["ip", "link", "add", "theirs0", "type", "veth", "peer", "name", "eth0", "netns", "a"])
        let taken = try sandbox.cni(plumb, "ADD", config: Self.plumbConfig(), containerID: "ctr-a", netns: "/run/netns/a")
        #expect(CNISchema.errorCode(taken.stdout) == 7, "\(taken)")
        #expect(taken.stdout.contains("CNI_IFNAME: eth0 already exists") && !taken.stdout.contains("containers["), "\(taken)")
        #expect(!taken.stdout.contains("manifest"), "\(taken)")

        try sandbox.must(["ip", "netns", "add", "b"])
        let bridge = try sandbox.cni(plumb, "ADD", config: Self.plumbConfig(bridge: "theirs0"), containerID: "ctr-b", netns: "/run/netns/b")
        #expect(CNISchema.errorCode(bridge.stdout) == 7, "\(bridge)")
        #expect(bridge.stdout.contains("bridge.name: theirs0") && !bridge.stdout.contains("bridges["), "\(bridge)")
        #expect(try sandbox.links() == ["lo", "theirs0"], "host links: \((try? sandbox.links()) ?? [])")
        #expect(Set(try sandbox.links(netns: "a")) == ["lo", "eth0"], "the container's own eth0 is gone or renamed")
        #expect(try sandbox.links(netns: "b") == ["lo"])
    }

    struct BadInput: CustomTestStringConvertible, Sendable {
        var what: String
        var config: String
        var codes: [Int]
        var containerID: String? = "ctr-a"
        var netns = "/run/netns/a"
        /// What the error's message must say (the empty string: anything).
        var says = ""
        /// The cniVersion the error must carry (nil: not checked).
        var labelled: String? = nil
        var testDescription: String { what }
    }

    // MARK: Helpers

    /// Links other than lo and the network's bridge (whether the bridge outlives the last DEL
    /// is the plugin's choice: the reference keeps it, the contract does not say).
    static func veths(_ sandbox: Sandbox, bridge: String = "cni-br0") throws -> [String] {
        try sandbox.links().filter { $0 != "lo" && $0 != bridge }
    }

    /// A test Sandbox with /var/lib/cni covered too: should a plugin ignore the IPAM dataDir,
    /// host-local's default leases still land inside the sandbox, not on the machine.
    static func sandbox() throws -> Sandbox {
        let sandbox = try Sandbox()
        try sandbox.coverHostCgroupsAndCNICache()
        return sandbox
    }

    /// `ip netns add NETNS`, then ADD; requires exit 0, a result passing CNISchema, and
    /// returns it with the attachment it describes.
    @discardableResult
    private func addOrFail(_ sandbox: Sandbox, _ plugin: CNIPlugin, config: String, id: String, netns: String,
                           version: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> (CommandResult, CNIAttachment) {
        try sandbox.must(["ip", "netns", "add", netns])
        let path = "/run/netns/\(netns)"
        let add = try sandbox.cni(plugin, "ADD", config: config, containerID: id, netns: path)
        try #require(add.succeeded, "\(plugin) ADD failed:\n\(add)", sourceLocation: sourceLocation)
        let problems = CNISchema.resultViolations(add.stdout, cniVersion: version, netns: path, ifname: "eth0")
        #expect(problems == [], "\(plugin)'s ADD result is not a spec \(version) result:\n\(add.stdout)", sourceLocation: sourceLocation)
        let attachment = try #require(CNIAttachment(add.stdout), "\(add)", sourceLocation: sourceLocation)
        return (add, attachment)
    }

    /// The config with `prevResult` set to an ADD's result, as a runtime sends CHECK.
    private func withPrevResult(_ config: String, _ result: String) throws -> String {
        guard var object = CNISchema.object(config), let previous = CNISchema.object(result) else {
            throw SubprocessError(description: "config or result is not JSON")
        }
        object["prevResult"] = previous
        return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    /// No file under /run/plumb names the container or mentions it, and none is left of an
    /// owner that has no record (an owner's verify lock goes with its record).
    private func expectNoRecord(of containerID: String, in sandbox: Sandbox,
                                sourceLocation: SourceLocation = #_sourceLocation) throws {
        let found = try sandbox.sh("grep -rl -- '\(containerID)' /run/plumb 2>/dev/null; ls /run/plumb 2>/dev/null | grep -- '\(containerID)'; true").stdout
        #expect(found.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
                "records of \(containerID) left under /run/plumb:\n\(found)", sourceLocation: sourceLocation)
        let orphans = try sandbox.ownerlessStoreFiles()
        #expect(orphans.isEmpty, "files of owners without a record left under /run/plumb: \(orphans)", sourceLocation: sourceLocation)
    }
}
