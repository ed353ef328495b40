import PlumbEngine
import PlumbManifest
import Testing

/// The runtime front ends' path (OCI hook): the host layer, then one container entry in
/// the namespace the runtime gives, verified; everything undone when any part fails.
@Suite("Provision and unprovision")
struct ProvisionTests {
    let manifest: Manifest
    let identity = ManifestIdentity(name: "hooked", source: nil)
    init() throws {
        manifest = try ManifestLoader.parse("""
            version: 1
            name: hooked
            bridges: [{name: br0, addresses: [10.88.0.1/16], nat: {masquerade: true}}]
            containers:
              - name: web
                interfaces: [{name: eth0, veth: {bridge: br0}, addresses: [10.88.0.2/16]}]
                routes: [{to: default, via: 10.88.0.1}]
                ports: [{host: 8080, container: 80, protocol: tcp}]
            """, defaultName: "hooked", requireNetns: false)
    }

    var host: Layer { .host(of: manifest, identity: identity) }
    func container(pid: Int) -> Layer {
        .hookContainer(manifest, identity: identity, container: manifest.containers[0], netns: .pid(pid))
    }

    @Test("a container is provisioned and verified; unprovision with its unused host layer leaves the host as it was")
    func roundTrip() throws {
        let w = World()
        let start = w.kernel.snapshot()
        let process = w.kernel.addProcess(4242)
        let c = container(pid: 4242)
        let binding = ContainerBinding(containerID: "abc", process: process, namespace: try w.kernel.identity(of: .pid(4242)))
        let done = try w.engine().provision(host: host, container: c, binding: binding)
        #expect(done.report?.ok == true)
        #expect(try w.store.load(host.owner)?.users == [c.owner.id])
        #expect(try w.kernel.links(in: .pid(4242)).link(name: "eth0")?.alias == c.marks.alias)

        let other = try w.engine().unprovision(c.owner, containerID: "other", removeUnusedHost: true, host: host.owner)
        #expect(other.converged && other.notes == ["\(c.owner) is provisioned into container abc, not other: left alone"])

        try w.engine().unprovision(c.owner, containerID: "abc", removeUnusedHost: true, host: host.owner)
        w.kernel.killProcess(4242)
        expectSame(w.kernel.snapshot(), start, "after unprovision")
        #expect(w.recordFiles().isEmpty)
    }

    @Test("a container's verify reads its host links by name, never a dump of every link, and still sees its port detached or down")
    func attachmentVerifyReadsItsOwnLinks() throws {
        let w = World()
        let process = w.kernel.addProcess(4242)
        let c = container(pid: 4242)
        let binding = ContainerBinding(containerID: "abc", process: process, namespace: try w.kernel.identity(of: .pid(4242)))
        try w.engine().provision(host: host, container: c, binding: binding)
        w.kernel.linkDumps = [:]
        let fine = try w.engine().verify(c)
        #expect(fine.ok, "\(fine.failures)")
        #expect(w.kernel.linkDumps[FakeKernel.hostID, default: 0] == 0)
        let end = manifest.containers[0].interfaces[0].hostSideName(container: "web")
        w.kernel.edit(end) { $0.master = nil }
        let detached = try w.engine().verify(c)
        #expect(detached.containers[0].checks.first { $0.name == "bridge-port" }?.status == .fail)
        w.kernel.edit(end) { $0.up = false }
        let down = try w.engine().verify(c)
        #expect(down.containers[0].checks.first { $0.name == "link-up" }?.status == .fail, "\(down.failures)")
        // The host layer, which manages the host, still reads every link (a bridge's ports).
        w.kernel.linkDumps = [:]
        _ = try w.engine().verify(host)
        #expect(w.kernel.linkDumps[FakeKernel.hostID, default: 0] > 0)
    }

    @Test("a container that fails verification is undone with its host layer, records included")
    func verificationFailure() throws {
        let w = World()
        w.kernel.addProcess(4242)
        let before = w.kernel.snapshot()
        w.kernel.dropAll = true
        let failure = #expect(throws: VerificationFailed.self) { try w.engine().provision(host: host, container: container(pid: 4242)) }
        #expect(failure?.report.failures.first?.hasPrefix("eth0 probe: expected 10.88.0.1 answers from") == true)
        expectSame(w.kernel.snapshot(), before, "after a failed verification")
        #expect(w.recordFiles().isEmpty)
    }

    @Test("one container entry serves one live container: a second container is refused while the first runs")
    func claim() throws {
        let w = World()
        let first = w.kernel.addProcess(4242)
        w.kernel.addProcess(5151)
        try w.engine().provision(host: host, container: container(pid: 4242),
                                 binding: ContainerBinding(containerID: "first", process: first, namespace: nil))
        let refusal = #expect(throws: ClaimError.self) {
            try w.engine().provision(host: host, container: container(pid: 5151),
                                     binding: ContainerBinding(containerID: "second", process: nil, namespace: nil))
        }
        #expect(refusal?.holder.containerID == "first")
        w.kernel.killProcess(4242)
        let second = try w.engine().provision(host: host, container: container(pid: 5151),
                                              binding: ContainerBinding(containerID: "second", process: nil, namespace: nil))
        #expect(second.report?.ok == true)
    }
}
