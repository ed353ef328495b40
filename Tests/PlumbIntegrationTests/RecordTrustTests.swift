import Foundation
import Testing

/// Issue 12 "Must show" 1–2: a record is input like any other. A record in /run/plumb that
/// names things Plumb never created (a crash, a bad upgrade, a hand edit) makes `destroy`
/// touch nothing foreign: no link moved or renamed, no namespace deleted, no file removed,
/// no sysctl, offload or IRQ written; a record Plumb could not have written is refused as
/// a whole, naming the entry. `show` lists healthy and corrupt records side by side, and
/// `destroy --name` works without the manifest.
@Suite("Records as untrusted input", .timeLimit(.minutes(10)))
struct RecordTrustTests {
    static let demo = FaultInjectionTests.example("demo.yaml")

    /// Applies demo, then rewrites its record with `edit` (python, on the JSON object `r`).
    static func tamper(_ sandbox: Sandbox, _ manifest: String, _ edit: String) throws -> String {
        try sandbox.applyOrFail(manifest)
        let record = try #require(try sandbox.manifestRecord("demo")).file
        let script = "import json,sys\nr=json.load(open(sys.argv[1]))\n\(edit)\njson.dump(r,open(sys.argv[1],'w'))\n"
        let file = sandbox.scratch.appendingPathComponent("tamper.py").path
        try script.write(toFile: file, atomically: true, encoding: .utf8)
        try sandbox.must(["python3", file, record])
        return record
    }

    @Test("a recorded VF and namespace that are someone else's: destroy moves, renames and deletes nothing of theirs")
    func foreignNamespaceAndVF() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.demo, fileName: "demo.yaml")
        try sandbox.must(["ip", "netns", "add", "victim"])
        try sandbox.must(["ip", "-n", "victim", "link", "add", "eth1", "type", "veth", "peer", "name", "eth2"])
        let id = try sandbox.sh("stat -L -c '%d %i' /run/netns/victim").stdout.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        try #require(id.count == 2)
        _ = try Self.tamper(sandbox, manifest, """
            r['namespaces'].append({'ref': {'named': 'victim'}, 'identity': {'device': \(id[0]), 'inode': \(id[1])}, 'created': True})
            r['movedVFs'] = [{'pf': 'eth9', 'vf': 0, 'link': {'name': 'eth1', 'namespace': {'named': 'victim'}}, 'hostName': 'stolen'}]
            """)
        let destroy = try sandbox.plumb("destroy", manifest)
        #expect(destroy.status == 0, "\(destroy)")
        #expect(destroy.stdout.contains("victim"), "destroy does not say what it left:\n\(destroy)")
        #expect(try sandbox.netnsList() == ["victim"], "the foreign namespace is gone")
        #expect(try sandbox.links(netns: "victim").contains("eth1"), "the foreign eth1 moved or was renamed")
        #expect(try !sandbox.links().contains("stolen"))
    }

    @Test("a record entry plumb could not have written is refused as a whole, naming it; nothing is touched",
          arguments: [
              ("modprobe file /etc/passwd", "r['modprobe'] = [{'file': '/etc/passwd', 'text': {'original': None, 'applied': 'x'}}]", "/etc/passwd"),
              ("kernel.* sysctl", "r['sysctls'] = [{'key': 'kernel.hostname', 'value': {'original': 'pwned', 'applied': 'demo'}}]", "kernel.hostname"),
              ("a NIC without the link plumb tuned", "r['nics'] = [{'nic': 'keep0', 'gro': {'original': False, 'applied': True}}]", "keep0"),
              ("an IRQ without its NIC's identity", "r['irqs'] = [{'irq': 1, 'nic': 'keep0', 'queue': 'x', 'cpus': {'original': '0', 'applied': '1'}}]", "irq 1"),
              ("a PF recorded as brought down", "r['pfAdmin'] = [{'pf': 'keep0', 'link': {'index': 1, 'mac': '02:00:00:00:00:99'}, 'up': {'original': True, 'applied': False}}]", "keep0"),
              ("a raised PF without its identity", "r['pfAdmin'] = [{'pf': 'keep0', 'up': {'original': False, 'applied': True}}]", "keep0"),
              ("a newer schema", "r['schema'] = 2", "schema 2"),
              ("a link name with a slash", "r['links'].append({'link': {'name': '../x', 'namespace': {'host': True}}, 'kind': 'bridge'})", "../x"),
          ])
    func refusedEntries(label: String, edit: String, named: String) throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.demo, fileName: "demo.yaml")
        try sandbox.must(["ip", "link", "add", "keep0", "type", "veth", "peer", "name", "keep1"])
        let before = try sandbox.sh("ethtool -k keep0 | grep generic-receive; cat /proc/irq/1/smp_affinity_list 2>/dev/null; cat /etc/passwd | wc -c").stdout
        _ = try Self.tamper(sandbox, manifest, edit)
        let destroy = try sandbox.plumb("destroy", manifest)
        #expect(destroy.status == 1, "\(label): \(destroy)")
        #expect(destroy.stderr.contains(named), "\(label): the error does not name the entry:\n\(destroy)")
        #expect(try sandbox.netnsList().sorted() == ["cache", "db", "web"], "\(label): destroy acted on a refused record")
        let after = try sandbox.sh("ethtool -k keep0 | grep generic-receive; cat /proc/irq/1/smp_affinity_list 2>/dev/null; cat /etc/passwd | wc -c").stdout
        #expect(after == before, "\(label): a foreign setting changed")
        let show = try sandbox.plumb("show")
        #expect(show.status == 0 && show.stdout.contains("CORRUPT"), "\(label): show hides the corrupt record:\n\(show)")
    }

    @Test("a recorded NIC setting that is a foreign link's, with its identity forged wrong: destroy leaves it")
    func foreignOffload() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.demo, fileName: "demo.yaml")
        try sandbox.must(["ip", "link", "add", "keep0", "type", "veth", "peer", "name", "keep1"])
        let gro = { try sandbox.sh("ethtool -k keep0 | grep generic-receive-offload").stdout }
        let before = try gro()
        _ = try Self.tamper(sandbox, manifest, """
            r['nics'] = [{'nic': 'keep0', 'link': {'index': 999, 'mac': '02:00:00:00:00:99'}, 'gro': {'original': False, 'applied': True}}]
            """)
        let destroy = try sandbox.plumb("destroy", manifest)
        #expect(destroy.status == 0, "\(destroy)")
        #expect(destroy.stdout.contains("keep0 left as it is"), "\(destroy)")
        #expect(try gro() == before, "destroy changed the foreign link's GRO")
    }

    @Test("a recorded raised PF that is a foreign link, with its identity forged wrong: destroy leaves it up")
    func foreignRaisedPF() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.demo, fileName: "demo.yaml")
        try sandbox.must(["ip", "link", "add", "keep0", "up", "type", "veth", "peer", "name", "keep1"])
        _ = try Self.tamper(sandbox, manifest, """
            r['pfAdmin'] = [{'pf': 'keep0', 'link': {'index': 999, 'mac': '02:00:00:00:00:99'}, 'up': {'original': False, 'applied': True}}]
            """)
        let destroy = try sandbox.plumb("destroy", manifest)
        #expect(destroy.status == 0, "\(destroy)")
        #expect(destroy.stdout.contains("keep0 left as it is"), "\(destroy)")
        #expect(try sandbox.sh("ip -o link show keep0").stdout.contains(",UP"), "destroy took the foreign link down")
    }

    @Test("show lists healthy and corrupt records; destroy --name works without the manifest")
    func showAndDestroyByName() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.demo, fileName: "demo.yaml")
        try sandbox.applyOrFail(manifest)
        try sandbox.must(["sh", "-c", "printf '{\"schema\": 1, \"owner\": ' > /run/plumb/manifest-0000000000000000.json"])
        let show = try sandbox.plumb("show")
        #expect(show.status == 0, "\(show)")
        #expect(show.stdout.contains("manifest demo"), "\(show)")
        #expect(show.stdout.contains("CORRUPT /run/plumb/manifest-0000000000000000.json"), "\(show)")
        let json = try sandbox.plumb("show", "--output", "json")
        #expect(json.stdout.contains("\"corrupt\"") && json.stdout.contains("manifest-0000000000000000.json"))

        try FileManager.default.removeItem(atPath: manifest)
        let destroy = try sandbox.plumb("destroy", "--name", "demo")
        #expect(destroy.status == 0, "\(destroy)")
        #expect(try sandbox.netnsList() == [])
        var links: [String] = []
        #expect(try eventually { links = try sandbox.links(); return links == ["lo"] }, "left: \(links)")
    }

    @Test("a named namespace deleted and re-created by someone else: plan refuses it, destroy leaves it and its links")
    func recreatedNamespace() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.demo, fileName: "demo.yaml")
        try sandbox.applyOrFail(manifest)
        try sandbox.must(["ip", "netns", "del", "web"])
        try sandbox.must(["ip", "netns", "add", "web"])
        try sandbox.must(["ip", "-n", "web", "link", "add", "mine0", "type", "veth", "peer", "name", "mine1"])
        let plan = try sandbox.plumb("plan", manifest)
        #expect(plan.status == 1, "\(plan)")
        #expect(plan.stderr.contains("netns web is not the namespace plumb recorded"), "\(plan)")
        let destroy = try sandbox.plumb("destroy", manifest)
        #expect(destroy.status == 0, "\(destroy)")
        #expect(destroy.stdout.contains("netns web left alone"), "\(destroy)")
        #expect(try sandbox.netnsList() == ["web"])
        #expect(try sandbox.links(netns: "web").contains("mine0"))
    }

    @Test("a {pid: P} whose process is not the one recorded: plan refuses it")
    func reusedPid() throws {
        let sandbox = try Sandbox()
        let holder = try Holder(sandbox)
        defer { holder.stop() }
        let manifest = try sandbox.writeManifest("""
            version: 1
            name: pidref
            bridges: [{name: br0, addresses: [10.77.0.1/24]}]
            containers:
              - {name: c, netns: {pid: \(holder.pid)}, interfaces: [{name: eth0, veth: {bridge: br0}, addresses: [10.77.0.2/24]}]}
            """)
        try sandbox.applyOrFail(manifest)
        let record = try #require(try sandbox.manifestRecord("pidref")).file
        // What the record would hold had the pid been reused: another process's start time.
        try sandbox.must(["python3", "-c", """
            import json,sys
            r=json.load(open(sys.argv[1]))
            for n in r['namespaces']:
                n['process']['startTime'] += 1
            json.dump(r,open(sys.argv[1],'w'))
            """, record])
        let plan = try sandbox.plumb("plan", manifest)
        #expect(plan.status == 1, "\(plan)")
        #expect(plan.stderr.contains("now belongs to another process"), "\(plan)")
        let verify = try sandbox.plumb("verify", manifest)
        #expect(verify.status == 3, "\(verify)")
    }

    @Test("interface names the kernel would rewrite or read as paths are refused before any change",
          arguments: ["br%d", "v%d", "all", "default"])
    func specialNames(name: String) throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest("version: 1\nname: pct\nbridges: [{name: \"\(name)\", addresses: [10.66.0.1/24]}]\n")
        let apply = try sandbox.plumb("apply", manifest)
        #expect(apply.status == 1, "\(apply)")
        #expect(apply.stderr.contains("bridges[0].name"), "\(apply)")
        #expect(try sandbox.links() == ["lo"])
        let cni = try sandbox.cni(try CNIPlugin.plumb(), "ADD", config: """
            {"cniVersion": "1.1.0", "name": "pct", "type": "plumb", "bridge": {"name": "\(name)"}, "ipam": {"type": "host-local"}}
            """, containerID: "c1", netns: "/proc/self/ns/net")
        #expect(cni.status != 0 && CNISchema.errorCode(cni.stdout) == 7, "\(cni)")
        #expect(try sandbox.links() == ["lo"])
    }
}
