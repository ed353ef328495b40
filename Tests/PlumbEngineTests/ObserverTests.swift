import PlumbEngine
import PlumbNetlink
import PlumbTypes
import Testing

/// What the observer reads through the seam: only what the layer and its record name,
/// with identities, marks and VF proofs the planner decides on.
@Suite("Observer")
struct ObserverTests {
    let mixed: Layer
    init() throws { mixed = try layer(Manifests.mixed) }

    @Test("after apply it reads the namespaces by identity with their marks, the VF's PCI address, the table's mark, PFs and NICs")
    func readsWhatThePlannerNeeds() throws {
        let w = World()
        try w.engine().apply(mixed)
        let (o, record) = try w.engine().observe(mixed)
        #expect(o.hostIdentity == w.kernel.host.identity)
        #expect(o.namespaces.map(\.ref) == [.named("web"), .named("db"), .named("c1")])
        for ns in o.namespaces {
            #expect(try ns.identity == w.kernel.identity(of: ns.ref))
            #expect(ns.identity == record?.namespace(ns.ref)?.identity)
            #expect(ns.loopbackAlias == mixed.marks.namespaceAlias)
        }
        #expect(o.namedNamespaces == ["c1", "db", "web"])
        #expect(o.busInfo.map { "\($0.namespace) \($0.link) \($0.pciAddress)" } == ["netns c1 eth1 0000:01:10.0"])
        #expect(o.firewall?.comment == mixed.marks.tableComment)
        #expect(o.pfs["eth1"]?.pf?.numVFs == 2)
        #expect(o.pfs["eth1"]?.settings(of: 0)?.vlan == VFVLAN(id: 12))
        #expect(o.nics["eth1"]?.irqs.map(\.cpus) == ["0", "1", "2", "3"])
        #expect(o.sysctls == ["net.core.netdev_budget": "600", "net.ipv4.conf.all.rp_filter": "1", "net.ipv4.ip_forward": "1"])
    }

    @Test("on a fresh host it sees no namespace, no table, and the PF without VFs")
    func freshHost() throws {
        let w = World()
        let (o, record) = try w.engine().observe(mixed)
        #expect(record == nil)
        #expect(o.namespaces.isEmpty && o.namedNamespaces.isEmpty && o.firewall == nil)
        #expect(o.pfs["eth1"]?.pf?.numVFs == 0 && o.pfs["eth1"]?.settings == [])
        #expect(o.host.links.map(\.name) == ["lo", "eth0", "eth1"])
    }

    @Test("a PF the host does not have is an observation error the planner reports, not a crash")
    func missingPF() throws {
        let w = World()
        let l = try layer("version: 1\nname: m\nnics: [{name: eth9, sriov: {numVFs: 2}}]\n")
        let (o, _) = try w.engine().observe(l)
        #expect(o.pfs["eth9"]?.error == "no network interface eth9")
        let refusal = #expect(throws: PlanErrors.self) { try w.engine().plan(l) }
        #expect(refusal?.description == "nics[0]: no network interface eth9 (line 3)")
    }

    @Test("destroy reads only the namespaces the record names (their links: a created one may hold foreign links)")
    func destroyReadsLittle() throws {
        let w = World()
        try w.engine().apply(mixed)
        let o = try Observer(kernel: w.kernel).observeForDestroy(try #require(try w.record(mixed)))
        #expect(o.namespaces.map(\.ref) == [.named("web"), .named("db"), .named("c1")])
        #expect(o.namespaces.map { $0.snapshot != nil } == [true, true, true])
    }

    @Test("a plain file under /run/netns is reported, and refused unless a killed create of this owner left it")
    func placeholders() throws {
        let w = World()
        w.kernel.placeholders = ["web"]
        let small = try layer(Manifests.small)
        #expect(try w.engine().observe(small).0.placeholders == ["web"])
        let refusal = #expect(throws: PlanErrors.self) { try w.engine().plan(small) }
        #expect(refusal?.description == "containers[0].netns: /run/netns/web exists and is not a network namespace (a plain file someone else made); plumb will not replace it (line 6)")
        var killed = Record(owner: small.owner)
        killed.namespaces = [NamespaceEntry(ref: .named("web"), identity: nil, created: true)]
        try w.store.save(killed)
        #expect(lines(try w.engine().plan(small)).contains("+ ip netns add web; ip -n web link set lo up"))
        try w.engine().apply(small)
        #expect(w.kernel.placeholders.isEmpty && w.kernel.named["web"] != nil)
    }
}
