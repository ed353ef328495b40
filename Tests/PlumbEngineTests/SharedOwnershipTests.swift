import PlumbEngine
import Testing

/// Things two owners need are counted: a namespace goes with the last owner using it,
/// a sysctl is restored by the last owner relying on it.
@Suite("Shared ownership")
struct SharedOwnershipTests {
    let a: Layer, b: Layer
    init() throws {
        a = try layer("""
            version: 1
            name: a
            host: {sysctl: {net.core.netdev_budget: 600}}
            bridges: [{name: bra, addresses: [10.1.0.1/24]}]
            containers: [{name: x, netns: shared, interfaces: [{name: eth0, veth: {bridge: bra}, addresses: [10.1.0.2/24]}]}]
            """)
        b = try layer("""
            version: 1
            name: b
            host: {sysctl: {net.core.netdev_budget: 600}}
            bridges: [{name: brb, addresses: [10.2.0.1/24]}]
            containers: [{name: y, netns: shared, interfaces: [{name: eth1, veth: {bridge: brb}, addresses: [10.2.0.2/24]}]}]
            """)
    }

    @Test("destroying the namespace's creator keeps it for the other owner, whose destroy then removes it")
    func sharedNamespace() throws {
        let w = World()
        let start = w.kernel.snapshot()
        try w.engine().apply(a)
        try w.engine().apply(b)
        let shared = try #require(try w.kernel.identity(of: .named("shared")))
        #expect(try w.record(b)?.namespace(.named("shared"))?.created == false)

        let first = try w.engine().destroy(a.owner)
        #expect(lines(first).contains("~ ip -n shared link set dev lo alias \"\(b.marks.namespaceAlias)\"   # manifest b still uses it"))
        #expect(try w.kernel.identity(of: .named("shared")) == shared)
        #expect(try w.kernel.links(in: .named("shared")).links().map(\.name) == ["lo", "eth1"])
        #expect(w.kernel.host.link(named: "bra") == nil && w.kernel.host.link(named: "brb") != nil)
        #expect(try w.record(b)?.namespace(.named("shared")) == NamespaceEntry(ref: .named("shared"), identity: shared, created: true))

        try w.engine().destroy(b.owner)
        #expect(try w.kernel.identity(of: .named("shared")) == nil)
        expectSame(w.kernel.snapshot(), start, "both destroyed")
        #expect(w.recordFiles().isEmpty)
    }

    @Test("a sysctl two owners need is restored only by the last one out, in either order",
          arguments: [true, false])
    func sharedSysctl(creatorFirst: Bool) throws {
        let w = World()
        try w.engine().apply(a)
        #expect(w.kernel.host.sysctls["net.core.netdev_budget"] == "600")
        try w.engine().apply(b)
        #expect(try w.record(b)?.sysctls.isEmpty == true)

        let (firstOut, lastOut) = creatorFirst ? (a, b) : (b, a)
        let first = try w.engine().destroy(firstOut.owner)
        #expect(!first.steps.contains { $0.action.name == "set-sysctl" })
        #expect(w.kernel.host.sysctls["net.core.netdev_budget"] == "600")
        let last = try w.engine().destroy(lastOut.owner)
        #expect(lines(last).contains("~ sysctl -w net.core.netdev_budget=300   # restore"))
        #expect(w.kernel.host.sysctls["net.core.netdev_budget"] == "300")
    }
}
