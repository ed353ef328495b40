import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Defects where a name or a file is taken for something it is not: interface names that
/// would be sysctl paths (`.uplink`, `all.`), the host's own namespace reached through a
/// pid or a /proc path, the named namespace `host`, and files that are not what they claim
/// to be (a symlink, a FIFO, a device, a plain file as a namespace, a huge or garbled CNI
/// input). Each test drives the real `plumb` in its own sandbox and looks as a user would.
@Suite("Ownership defects: names, namespaces and files", .timeLimit(.minutes(10)))
struct NamespaceInputDefectTests {
    /// One container `name` in netns `netns` (YAML, verbatim) on br0, with `hostName` when given.
    static func manifest(name: String = "paths", container: String = "web", netns: String = "web",
                         hostName: String? = nil, route: String = "{to: default, via: 10.88.0.1}") -> String {
        """
        version: 1
        name: \(name)
        bridges:
          - name: br0
            addresses: [10.88.0.1/24]
        containers:
          - name: \(container)
            netns: \(netns)
            interfaces:
              - {name: eth0, veth: {bridge: br0\(hostName.map { ", hostName: \"\($0)\"" } ?? "")}, addresses: [10.88.0.2/24]}
            routes:
              - \(route)
        """
    }

    // MARK: 8. Interface names that look like sysctl paths

    @Test("a veth hostName \".uplink\" beside a foreign link uplink: after apply and destroy, uplink keeps its IPv6 address and its disable_ipv6")
    func dotUplinkLeavesUplinkAlone() throws {
        let sandbox = try Sandbox()
        try sandbox.must(["ip", "link", "add", "uplink", "type", "veth", "peer", "name", "uplink-p"])
        try sandbox.must(["ip", "link", "set", "uplink", "up"])
        try sandbox.must(["ip", "addr", "add", "2001:db8::5/64", "dev", "uplink", "nodad"])
        let disableIPv6 = try sandbox.sysctl("net/ipv6/conf/uplink/disable_ipv6")
        try #require(try sandbox.addresses(dev: "uplink").contains("2001:db8::5/64"))
        let manifest = try sandbox.writeManifest(Self.manifest(hostName: ".uplink"))

        func uplinkUnchanged(_ when: String) throws {
            #expect(try sandbox.addresses(dev: "uplink").contains("2001:db8::5/64"), "\(when): uplink lost its IPv6 address")
            #expect(try sandbox.sysctl("net/ipv6/conf/uplink/disable_ipv6") == disableIPv6, "\(when): uplink's disable_ipv6 changed")
        }
        try sandbox.applyOrFail(manifest)
        #expect(try sandbox.links(master: "br0") == [".uplink"])
        try uplinkUnchanged("after apply")
        let destroy = try sandbox.plumb("destroy", manifest)
        #expect(destroy.status == 0, "\(destroy)")
        try uplinkUnchanged("after destroy")
        var seen: [String] = []
        #expect(try eventually { seen = try sandbox.links(); return Set(seen) == ["lo", "uplink", "uplink-p"] }, "links: \(seen)")
    }

    @Test("veth hostNames \"all.\" and \"default.\": the host's ::1 on lo and net.ipv6.conf.all/default.disable_ipv6 are unchanged")
    func allDotAndDefaultDotLeaveHostDefaultsAlone() throws {
        let sandbox = try Sandbox()
        let text = """
            version: 1
            name: dots
            bridges:
              - name: br0
                addresses: [10.88.0.1/24]
            containers:
              - name: a
                netns: a
                interfaces:
                  - {name: eth0, veth: {bridge: br0, hostName: "all."}, addresses: [10.88.0.2/24]}
              - name: d
                netns: d
                interfaces:
                  - {name: eth0, veth: {bridge: br0, hostName: "default."}, addresses: [10.88.0.3/24]}
            """
        let manifest = try sandbox.writeManifest(text)
        let keys = ["net/ipv6/conf/all/disable_ipv6", "net/ipv6/conf/default/disable_ipv6"]
        let before = try keys.map { try sandbox.sysctl($0) }
        try #require(try sandbox.addresses(dev: "lo").contains("::1/128"))

        func hostUnchanged(_ when: String) throws {
            #expect(try keys.map { try sandbox.sysctl($0) } == before, "\(when): \(keys) changed")
            #expect(try sandbox.addresses(dev: "lo").contains("::1/128"), "\(when): lo lost ::1")
        }
        try sandbox.applyOrFail(manifest)
        #expect(try Set(sandbox.links(master: "br0")) == ["all.", "default."])
        try hostUnchanged("after apply")
        let destroy = try sandbox.plumb("destroy", manifest)
        #expect(destroy.status == 0, "\(destroy)")
        try hostUnchanged("after destroy")
        try sandbox.expectPristine(manifest: "dots")
    }

    @Test("a dotted container name web.1 (netns web.1, host end web.1-eth0) applies, verifies and destroys")
    func dottedContainerName() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.manifest(name: "dotted", container: "web.1", netns: "web.1"))
        try sandbox.applyOrFail(manifest)
        #expect(try sandbox.netnsList() == ["web.1"])
        #expect(try sandbox.links(master: "br0") == ["web.1-eth0"])
        #expect(try sandbox.addresses(netns: "web.1", dev: "eth0").contains("10.88.0.2/24"))
        let verify = try sandbox.plumb("verify", manifest)
        #expect(verify.status == 0 && verify.stdout.contains("PASS  eth0 probe"), "\(verify)")
        try sandbox.expectConverged(manifest)
        let destroy = try sandbox.plumb("destroy", manifest)
        #expect(destroy.status == 0, "\(destroy)")
        try sandbox.expectPristine(manifest: "dotted")
    }

    // MARK: 9. The host's own namespace

    @Test("a container whose netns is the host's own (a pid or /proc path of a process in it): apply exits 1 naming it; no veth, address or route appears",
          arguments: ["pid", "path"])
    func hostNamespaceIsRefused(form: String) throws {
        let sandbox = try Sandbox()
        let sleeper = try HostProcess(sandbox)
        defer { sleeper.stop() }
        let netns = form == "pid" ? "{pid: \(sleeper.pid)}" : "{path: /proc/\(sleeper.pid)/ns/net}"
        let manifest = try sandbox.writeManifest(Self.manifest(name: "hostns", netns: netns,
                                                               route: "{to: 10.99.0.0/16, via: 10.88.0.1}"))
        let addressesBefore = try sandbox.addresses().sorted()

        let apply = try sandbox.plumb("apply", manifest)
        #expect(apply.status == 1, "\(apply)")
        #expect(apply.stderr.contains("host's own network namespace"), "\(apply)")
        #expect(try sandbox.links() == ["lo"], "apply made links in the host namespace")
        #expect(try sandbox.addresses().sorted() == addressesBefore)
        #expect(try sandbox.routes() == [], "apply added routes in the host namespace")
        #expect(try sandbox.records().isEmpty)
    }

    // MARK: 11. netns: host is a named namespace

    @Test("netns: host is /run/netns/host, a namespace of its own: apply, verify and destroy work, the host namespace gets no eth0 or address")
    func netnsNamedHost() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.manifest(name: "named", container: "h", netns: "host"))
        try sandbox.applyOrFail(manifest)
        #expect(try sandbox.netnsList() == ["host"])
        let own = try sandbox.must(["readlink", "/proc/self/ns/net"]).stdout
        let named = try sandbox.must(["ip", "netns", "exec", "host", "readlink", "/proc/self/ns/net"]).stdout
        #expect(own != named, "/run/netns/host is the host's own namespace")
        #expect(try sandbox.addresses(netns: "host", dev: "eth0").contains("10.88.0.2/24"))
        #expect(try !sandbox.links().contains("eth0"))
        #expect(try !sandbox.addresses().contains("10.88.0.2/24"))
        #expect(try sandbox.links(master: "br0") == ["h-eth0"])
        let verify = try sandbox.plumb("verify", manifest)
        #expect(verify.status == 0 && verify.stdout.contains("PASS  eth0 probe"), "\(verify)")
        try sandbox.expectConverged(manifest)
        let destroy = try sandbox.plumb("destroy", manifest)
        #expect(destroy.status == 0, "\(destroy)")
        try sandbox.expectPristine(manifest: "named")
        #expect(try !sandbox.exists("/run/netns/host"))
    }

    // MARK: 14. Files that are not what they claim

    @Test("plan --save-observed FILE where FILE is a symlink to a precious file: the precious file is unchanged, FILE becomes a regular 0600 file")
    func saveObservedDoesNotFollowSymlink() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.manifest())
        let precious = sandbox.scratch.appendingPathComponent("precious").path
        let saved = sandbox.scratch.appendingPathComponent("observed.json").path
        try "precious\n".write(toFile: precious, atomically: true, encoding: .utf8)
        chmod(precious, 0o644)
        try sandbox.must(["ln", "-s", precious, saved])

        let plan = try sandbox.plumb("plan", manifest, "--save-observed", saved)
        #expect(plan.status == 0, "\(plan)")
        #expect(try String(contentsOfFile: precious, encoding: .utf8) == "precious\n", "the symlink's target was overwritten")
        #expect(try sandbox.must(["stat", "-c", "%a", precious]).stdout.hasPrefix("644"))
        let kind = try sandbox.must(["stat", "-c", "%a %F", saved]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(kind == "600 regular file", "\(saved) is \(kind)")
        #expect(CNISchema.object(try String(contentsOfFile: saved, encoding: .utf8))?["observed"] != nil,
                "\(saved) is not a recorded observation")
    }

    @Test("a FIFO, /dev/fd/0 (a pipe) or /dev/zero as the manifest: exit 1 with \"not a regular file\", no hang",
          arguments: ["fifo", "/dev/fd/0", "/dev/zero"])
    func manifestThatIsNotAFile(kind: String) throws {
        let sandbox = try Sandbox()
        let binary = try PlumbBinary.path()
        let result: CommandResult
        switch kind {
        case "fifo":
            let fifo = sandbox.scratch.appendingPathComponent("manifest.yaml").path
            try sandbox.must(["mkfifo", fifo])
            result = try sandbox.plumb("apply", fifo, timeout: .seconds(10))
        case "/dev/fd/0":
            result = try sandbox.sh("printf 'version: 1\\nname: piped\\n' | \(binary) apply /dev/fd/0", timeout: .seconds(10))
        default:
            result = try sandbox.plumb("apply", kind, timeout: .seconds(10))
        }
        #expect(!result.timedOut, "plumb hung reading \(kind)")
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.hasPrefix("plumb: error:") && result.stderr.contains("not a regular file"), "\(result)")
        #expect(try sandbox.links() == ["lo"])
    }

    @Test("a regular file at /run/netns/web made by someone else: apply refuses naming it and leaves the file as it was")
    func plainFileAtNamespacePath() throws {
        let sandbox = try Sandbox()
        try sandbox.must(["mkdir", "-p", "/run/netns"])
        try sandbox.must(["/bin/sh", "-c", "echo 'not a namespace' > /run/netns/web"])
        let manifest = try sandbox.writeManifest(Self.manifest())
        let apply = try sandbox.plumb("apply", manifest)
        #expect(apply.status == 1, "\(apply)")
        #expect(apply.stderr.contains("/run/netns/web"), "\(apply)")
        #expect(try sandbox.must(["cat", "/run/netns/web"]).stdout == "not a namespace\n", "the file changed")
        #expect(try sandbox.links() == ["lo"])
        #expect(try sandbox.records().isEmpty)
    }

    @Test("a container removed from the manifest: plan prints a note that its namespace stays until destroy, and destroy removes it")
    func removedContainerNote() throws {
        let sandbox = try Sandbox()
        let trio = try sandbox.writeManifest(Manifests.trio, fileName: "trio.yaml")
        try sandbox.applyOrFail(trio)
        let duo = try sandbox.writeManifest(Manifests.bridge(name: "trio", members: Manifests.trioMembers.filter { $0.container != "db" }),
                                            fileName: "duo.yaml")
        let plan = try sandbox.plumb("plan", duo)
        #expect(plan.status == 0, "\(plan)")
        let note = plan.stdout.split(separator: "\n").first { $0.contains("note:") && $0.contains("netns db") }
        #expect(note.map { $0.contains("stays") && $0.contains("destroy") } == true, "no note about netns db:\n\(plan)")
        let json = try sandbox.plumb("plan", duo, "--output", "json")
        let notes = CNISchema.object(json.stdout)?["notes"] as? [String] ?? []
        #expect(notes.contains { $0.contains("netns db") }, "\(json)")

        try sandbox.applyOrFail(duo)
        #expect(try Set(sandbox.netnsList()) == ["web", "db", "cache"], "apply of the smaller manifest removed db's namespace")
        let destroy = try sandbox.plumb("destroy", duo)
        #expect(destroy.status == 0, "\(destroy)")
        try sandbox.expectPristine(manifest: "trio")
    }

    // MARK: 14. CNI inputs that are not what they claim

    static let cniConfig = OwnerIdentityDefectTests.network("n", bridge: "cni-br0", subnet: "10.99.0.0/24")

    @Test("CNI_NETNS that is a regular file: a CNI error naming CNI_NETNS, nothing made")
    func cniNetnsIsAPlainFile() throws {
        let sandbox = try CNIPluginTests.sandbox()
        let file = sandbox.scratch.appendingPathComponent("netns").path
        try "not a namespace\n".write(toFile: file, atomically: true, encoding: .utf8)
        let add = try sandbox.cni(try CNIPlugin.plumb(), "ADD", config: Self.cniConfig, containerID: "c1", netns: file)
        #expect(!add.succeeded && !add.timedOut, "\(add)")
        #expect(CNISchema.errorViolations(add.stdout) == [], "\(add)")
        #expect((CNISchema.object(add.stdout)?["msg"] as? String)?.contains("CNI_NETNS") == true, "\(add)")
        #expect(try sandbox.links() == ["lo"])
        #expect(try !sandbox.exists("\(CNIPluginTests.ipamDir)/n"), "IPAM was asked for an address")
    }

    @Test("a garbage prevResult: CNI error code 7, nothing made, no address leased", arguments: [
        #""garbage""#, #"{"ips": 5}"#, #"[1, 2, 3]"#,
    ])
    func cniGarbagePrevResult(prev: String) throws {
        let sandbox = try CNIPluginTests.sandbox()
        try sandbox.must(["ip", "netns", "add", "a"])
        let config = OwnerIdentityDefectTests.network("n", bridge: "cni-br0", subnet: "10.99.0.0/24",
                                                      extra: #", "prevResult": "# + prev)
        let add = try sandbox.cni(try CNIPlugin.plumb(), "ADD", config: config, containerID: "c1", netns: "/run/netns/a")
        #expect(!add.succeeded && !add.timedOut, "\(add)")
        #expect(CNISchema.errorViolations(add.stdout) == [], "\(add)")
        #expect(CNISchema.errorCode(add.stdout) == 7, "\(add)")
        #expect(try sandbox.links() == ["lo"])
        #expect(try sandbox.links(netns: "a") == ["lo"])
        #expect(try sandbox.list("\(CNIPluginTests.ipamDir)/n").filter { $0.hasPrefix("10.") } == [], "an address stayed leased")
    }

    @Test("50 MB on a CNI plugin's stdin: a decode error within 5 s and 256 MiB, nothing made")
    func cniHugeStdin() throws {
        let sandbox = try CNIPluginTests.sandbox()
        try sandbox.must(["ip", "netns", "add", "a"])
        let input = sandbox.scratch.appendingPathComponent("huge.json").path
        var bytes = Array(#"{"cniVersion": "1.1.0", "name": ""#.utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "a"), count: 50 << 20)
        bytes += Array(#"", "type": "plumb"}"#.utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: input))
        let timing = sandbox.scratch.appendingPathComponent("time.txt").path
        let binary = try PlumbBinary.path()
        let run = try sandbox.run(["/bin/sh", "-c", "exec /usr/bin/time -o \(timing) -f '%e %M' \(binary) < \(input)"],
                                  environment: ["CNI_COMMAND": "ADD", "CNI_CONTAINERID": "c1", "CNI_NETNS": "/run/netns/a",
                                                "CNI_IFNAME": "eth0", "CNI_PATH": CNIPlugin.referenceDirectory],
                                  timeout: .seconds(20))
        #expect(!run.timedOut && run.status == 1, "\(run)")
        #expect(CNISchema.errorViolations(run.stdout) == [], "\(run)")
        #expect(CNISchema.errorCode(run.stdout) == 6, "\(run)")
        let measured = ((try? String(contentsOfFile: timing, encoding: .utf8)) ?? "").split(separator: "\n").last?.split(separator: " ") ?? []
        let seconds = measured.first.flatMap { Double($0) } ?? -1, kb = measured.count > 1 ? Int(measured[1]) ?? -1 : -1
        #expect(seconds >= 0 && seconds < 5, "took \(seconds) s")
        #expect(kb > 0 && kb < 256 * 1024, "peak RSS \(kb) KiB")
        #expect(try sandbox.links() == ["lo"])
    }
}

/// A process in the sandbox's own network namespace (the host's, for Plumb), ended by its pid.
final class HostProcess {
    let pid: Int32
    private let sandbox: Sandbox

    init(_ sandbox: Sandbox) throws {
        self.sandbox = sandbox
        let out = try sandbox.sh("setsid sleep 600 >/dev/null 2>&1 < /dev/null & echo $!")
        guard let pid = Int32(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw SubprocessError(description: "no sleep pid: \(out)")
        }
        self.pid = pid
    }

    func stop() { _ = try? sandbox.run(["kill", "-KILL", "\(pid)"]) }
}
