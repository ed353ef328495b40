import Foundation
import PlumbEngine
import PlumbFirewall
import PlumbManifest
import PlumbNetlink
import Testing

/// The fake kernel against the real one: the same manifest applied to a bare fake host
/// (only `lo`, like the sandbox the fixtures were recorded in) reads back as the real
/// kernel recorded it — ifindexes, peers and their netns ids, MTUs (a bridge takes its
/// smallest port's), flags, marks, addresses, routes, the nftables listing and the
/// record. Compared over IPv4: the fake makes no IPv6 link-local addresses, which the
/// engine ignores. The MACs the kernel picks at random (container ends) are not compared.
@Suite("The fake kernel agrees with recordings of the real one")
struct FakeFidelityTests {
    struct Recording {
        var layer: Layer
        var real: RecordedObservation

        init(_ name: String) throws {
            let dir = PlannerFixtureTests.root.appendingPathComponent(name)
            let m = try ManifestLoader.load(path: dir.appendingPathComponent("desired.yaml").path)
            layer = .manifest(m, identity: ManifestIdentity(name: m.name, source: nil))
            real = try RecordedObservation.load(dir.appendingPathComponent("observed.json").path)
        }
    }

    /// A snapshot as compared: IPv4 only, random MACs and counters blanked.
    static func comparable(_ s: NamespaceSnapshot?, keepMACs: Bool) -> [String] {
        guard let s else { return ["not read"] }
        let links = s.links.map { l -> String in
            var l = l
            l.stats = LinkStats()
            l.txqlen = nil   // read since the recordings were made
            if !keepMACs && l.index != 1 { l.mac = nil }
            return "\(l)"
        }
        return links + s.addresses.filter { $0.prefix.family == .v4 }.map { "\($0)" }
            + s.routes.filter { $0.destination.family == .v4 }.map { "\($0)" }
    }

    /// The record with namespace identities (which differ between any two kernels) left out.
    static func comparable(_ r: Record?) -> Record? {
        guard var r else { return nil }
        for i in r.namespaces.indices { r.namespaces[i].identity = nil }
        return r
    }

    @Test("the demo applied on the fake reads back as the real kernel recorded it")
    func demo() throws {
        let rec = try Recording("demo-converged")
        let w = World(FakeKernel())
        try w.engine().apply(rec.layer)
        let (fake, record) = try w.engine().observe(rec.layer)
        #expect(Self.comparable(fake.host, keepMACs: true) == Self.comparable(rec.real.observed.host, keepMACs: true))
        #expect(fake.namespaces.map(\.ref) == rec.real.observed.namespaces.map(\.ref))
        for (f, r) in zip(fake.namespaces, rec.real.observed.namespaces) {
            #expect(Self.comparable(f.snapshot, keepMACs: false) == Self.comparable(r.snapshot, keepMACs: false), "\(f.ref)")
        }
        #expect(Self.comparable(record) == Self.comparable(rec.real.record))
    }

    @Test("NAT applied on the fake, with the same rule deleted, lists and reads back as the real nftables did")
    func natRuleDeleted() throws {
        let rec = try Recording("nat-rule-deleted")
        let w = World(FakeKernel())
        w.kernel.host.sysctls["net.ipv4.ip_forward"] = "0"
        try w.engine().apply(rec.layer)
        w.kernel.deleteRules(in: rec.layer.marks.table, comment: "containers[0] www port tcp/8080", chain: "prerouting")
        let (fake, record) = try w.engine().observe(rec.layer)
        let real = try #require(rec.real.observed.firewall)
        #expect(fake.firewall?.text == real.text)
        #expect(fake.firewall?.comment == real.comment)
        func unhandled(_ f: ObservedFirewall?) -> [ObservedChain]? {
            f?.chains.map { c in var c = c; c.rules = c.rules.map { ObservedRule(handle: 0, comment: $0.comment, statement: $0.statement) }; return c }
        }
        #expect(unhandled(fake.firewall) == unhandled(real))
        #expect(fake.sysctls == rec.real.observed.sysctls)
        #expect(Self.comparable(record) == Self.comparable(rec.real.record))
    }
}
