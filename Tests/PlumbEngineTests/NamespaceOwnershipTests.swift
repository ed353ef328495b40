import PlumbEngine
import PlumbTypes
import Testing

/// A namespace is known by its identity, never by its name: one re-created under a
/// recorded name is someone else's, and the host's own namespace is never a container's.
@Suite("Namespace ownership")
struct NamespaceOwnershipTests {
    @Test("a named namespace deleted and re-created by someone else is refused by plan and left by destroy")
    func recreatedNamespace() throws {
        let w = World()
        let l = try layer(Manifests.small)
        try w.engine().apply(l)
        let recorded = try #require(try w.record(l)?.namespace(.named("web"))?.identity)
        w.kernel.removeNamespace("web")
        let now = w.kernel.addNamespace("web")
        #expect(now != recorded)

        let refusal = #expect(throws: PlanErrors.self) { try w.engine().plan(l) }
        #expect(refusal?.description == "containers[0].netns: netns web is not the namespace plumb recorded (\(recorded), now \(now)): it was deleted and re-created by someone else; plumb will not touch it (plumb destroy forgets the old one) (line 6)")

        let destroy = try w.engine().destroy(l.owner)
        #expect(try w.kernel.identity(of: .named("web")) == now)
        #expect(destroy.notes.contains("netns web left alone: it is not the namespace plumb created (\(recorded), now \(now))"))
        #expect(!destroy.steps.contains { $0.action.name == "delete-netns" })
        #expect(w.kernel.host.link(named: "br0") == nil)
        #expect(w.recordFiles().isEmpty)
    }

    @Test("{pid: P} whose namespace is the host's own is refused before any change")
    func pidInTheHostNamespace() throws {
        let w = World()
        w.kernel.addProcess(4242, in: .host)
        let l = try layer("""
            version: 1
            name: pid
            bridges: [{name: br0, addresses: [10.88.0.1/16]}]
            containers:
              - {name: c, netns: {pid: 4242}, interfaces: [{name: eth0, veth: {bridge: br0}, addresses: [10.88.0.2/16]}]}
            """)
        let before = w.kernel.snapshot()
        let refusal = #expect(throws: PlanErrors.self) { try w.engine().apply(l) }
        #expect(refusal?.description == "containers[0].netns: netns of pid 4242 is the host's own network namespace (\(w.kernel.host.identity)); plumb never configures the host namespace as a container's (line 5)")
        expectSame(w.kernel.snapshot(), before, "a refused apply")
        #expect(w.recordFiles().isEmpty)
    }

    @Test("{pid: P} in a namespace of its own is configured, never deleted; a reused pid is another process")
    func pidNamespace() throws {
        let w = World()
        let first = w.kernel.addProcess(4242)
        let l = try layer("""
            version: 1
            name: pid
            bridges: [{name: br0, addresses: [10.88.0.1/16]}]
            containers:
              - {name: c, netns: {pid: 4242}, interfaces: [{name: eth0, veth: {bridge: br0}, addresses: [10.88.0.2/16]}]}
            """)
        try w.engine().apply(l)
        let entry = try #require(try w.record(l)?.namespace(.pid(4242)))
        #expect(entry.created == false && entry.process == first)
        #expect(try w.engine().plan(l).converged)

        w.kernel.killProcess(4242)
        let second = w.kernel.addProcess(4242, startTime: 2000)
        let refusal = #expect(throws: PlanErrors.self) { try w.engine().plan(l) }
        #expect(refusal?.description.contains("netns of pid 4242 is not the namespace plumb recorded") == true)
        try w.engine().destroy(l.owner)
        #expect(try w.kernel.process(4242) == second)
        #expect(w.kernel.namespaces[w.kernel.resolve(.pid(4242))!]!.links.count == 1)   // lo: nothing of ours, nothing deleted
    }
}
