import Foundation
import Testing

/// A real CNI runtime: Debian's podman 4.3.1 on its CNI backend runs a locally imported busybox
/// image (no registry) on a conflist whose plugin is Plumb. podman lists its plugins in
/// cni_plugin_dirs and drops a plugin it cannot find with only a warning, so every test checks
/// that eth0 exists inside. podman 4's libcni reads results up to CNI 1.0.0 only ("unsupported
/// CNI result version 1.1.0", seen here), so the conflists say 1.0.0.
@Suite("podman (CNI backend)", .timeLimit(.minutes(10)))
struct PodmanTests {
    static let ipamDir = "/run/cni-ipam"

    static func probe(_ gateway: String) -> [String] {
        ["sh", "-c", """
            ip addr show eth0 || exit 2
            for i in 1 2 3; do ping -c1 -W2 \(gateway) && exit 0; sleep 0.25; done
            exit 1
            """]
    }

    static let referenceConflist = """
        {"cniVersion": "1.0.0", "name": "refnet", "plugins": [
          {"type": "bridge", "bridge": "cni-ref0", "isGateway": true, "ipMasq": true,
           "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.89.0.0/16"}]], "routes": [{"dst": "0.0.0.0/0"}],
                    "dataDir": "\(ipamDir)"}}]}
        """

    static let plumbConflist = """
        {"cniVersion": "1.0.0", "name": "plumbnet", "plugins": [
          {"type": "plumb", "bridge": {"name": "cni-br0", "masquerade": true},
           "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.99.0.0/16"}]], "routes": [{"dst": "0.0.0.0/0"}],
                    "dataDir": "\(ipamDir)"}}]}
        """

    @Test("harness: podman runs the imported busybox on the reference bridge conflist; it pings 10.89.0.1; rm leaves no veth")
    func referenceBridgeHarness() throws {
        let rt = try RuntimeSandbox()
        let home = try rt.podmanHome(plugins: ["bridge": "/usr/lib/cni/bridge", "host-local": "/usr/lib/cni/host-local"])
        try home.addConflist(Self.referenceConflist, name: "refnet")
        try home.importBusybox()

        let run = try home.run(name: "ref", network: "refnet", Self.probe("10.89.0.1"))
        #expect(run.succeeded, "\(run)")
        #expect(run.stdout.contains("inet 10.89.0."), "no address on eth0:\n\(run)")
        #expect(run.stdout.contains("1 packets received"), "\(run)")

        let rm = try home.podman(["rm", "ref"])
        #expect(rm.succeeded, "\(rm)")
        #expect(try eventually { try rt.sandbox.links() == ["lo", "cni-ref0"] }, "left: \((try? rt.sandbox.links()) ?? [])")
        #expect(try rt.sandbox.netnsList() == [])
        #expect(try rt.sandbox.list(Self.ipamDir + "/refnet").filter { $0.hasPrefix("10.") } == [], "leases left")
    }

    @Test("podman runs busybox on the plumb conflist: eth0 has a 10.99 address, it pings 10.99.0.1; rm leaves no veth, no record")
    func plumbConflist() throws {
        let rt = try RuntimeSandbox()
        let sandbox = rt.sandbox
        let home = try rt.podmanHome(plugins: ["plumb": try PlumbBinary.path(), "host-local": "/usr/lib/cni/host-local"])
        try home.addConflist(Self.plumbConflist, name: "plumbnet")
        try home.importBusybox()

        let networks = try home.podman(["network", "ls", "--format", "{{.Name}}"])
        #expect(networks.stdout.split(separator: "\n").contains("plumbnet"), "\(networks)")

        let run = try home.run(name: "web", network: "plumbnet", Self.probe("10.99.0.1"))
        #expect(run.succeeded, "\(run)")
        #expect(run.stdout.contains("inet 10.99.0."), "no address on eth0 (was the plugin found?):\n\(run)")
        #expect(run.stdout.contains("1 packets received"), "\(run)")
        let id = try home.containerID("web")

        let rm = try home.podman(["rm", "web"])
        #expect(rm.succeeded, "\(rm)")
        var links: [String] = []
        #expect(try eventually { links = try CNIPluginTests.veths(sandbox); return links == [] }, "left: \(links)")
        #expect(try sandbox.netnsList() == [])
        #expect(try sandbox.list(Self.ipamDir + "/plumbnet").filter { $0.hasPrefix("10.") } == [], "leases left")
        let records = try sandbox.sh("grep -rl -- '\(id)' /run/plumb 2>/dev/null; ls /run/plumb 2>/dev/null | grep -- '\(id.prefix(12))'; true").stdout
        #expect(records.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "records of \(id) left:\n\(records)")
    }
}
