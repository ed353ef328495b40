@testable import PlumbEngine
import PlumbManifest
import PlumbNetlink
import PlumbTypes
import Testing

/// `rss:` on the fake kernel: eth1 (igb, 4 combined channels of 8) with a 128-entry table
/// spread over its 4 queues, a 40-byte key, and hash fields for tcp4/udp4/tcp6/udp6 only;
/// udp4 takes sd or sdfn, tcp4 only sdfn (like the kernel, anything else is EINVAL).
@Suite("Planner: RSS indirection, hash key, rx flow hash")
struct RSSPlannerTests {
    static let key = (0..<40).map { UInt8($0) }
    static let fields: [RxFlowType: RxHashFields] = [.tcp4: f("sdfn"), .udp4: f("sd"), .tcp6: f("sdfn"), .udp6: f("sd")]
    static func f(_ letters: String) -> RxHashFields { RxHashFields(letters: letters)! }

    static func world() -> World {
        let w = World()
        w.kernel.nics["eth1"]!.rss = Ethtool.RSS(indirection: (0..<128).map { $0 % 4 }, key: key)
        w.kernel.nics["eth1"]!.hashFields = fields
        w.kernel.nics["eth1"]!.hashable = [.tcp4: [f("sdfn")], .udp4: [f("sd"), f("sdfn")]]
        return w
    }

    static func layer(_ tuning: String) throws -> Layer {
        try PlumbEngineTests.layer("version: 1\nname: rss\nnics:\n  - name: eth1\n    tuning: \(tuning)\n")
    }

    func refusal(_ w: World, _ tuning: String) -> String {
        (#expect(throws: PlanErrors.self) { try w.engine().plan(try Self.layer(tuning)) })?.description ?? ""
    }

    @Test("equal 2 and udp4 sdfn: ethtool -X and -N; applied, re-planned empty, verified, drift repaired, restored by destroy")
    func lifecycle() throws {
        let w = Self.world()
        let l = try Self.layer("{rss: {equal: 2, hashFields: {udp4: [sd, fn]}}}")
        #expect(lines(try w.engine().plan(l)) == ["~ ethtool -X eth1 equal 2", "~ ethtool -N eth1 rx-flow-hash udp4 sdfn"])
        try w.engine().apply(l)
        #expect(w.kernel.nics["eth1"]!.rss?.indirection == (0..<128).map { $0 % 2 })
        #expect(w.kernel.nics["eth1"]!.hashFields[.udp4] == Self.f("sdfn"))
        #expect(try w.engine().plan(l).steps.isEmpty)
        let report = try w.engine().verify(l)
        let rows = report.nics.first?.checks.filter { $0.name == "rss" || $0.name == "rx-flow-hash" } ?? []
        #expect(rows.map(\.status) == [.pass, .pass], "\(rows)")
        #expect(rows.first?.observed == "128 entries over queues 0,1, 40-byte key")

        w.kernel.nics["eth1"]!.rss!.indirection = (0..<128).map { $0 % 4 }
        #expect(try w.engine().verify(l).nics.first?.checks.first { $0.name == "rss" }?.status == .fail)
        #expect(lines(try w.engine().plan(l)) == ["~ ethtool -X eth1 equal 2"])
        try w.engine().apply(l)

        try w.engine().destroy(l.owner)
        #expect(w.kernel.nics["eth1"]!.rss == Ethtool.RSS(indirection: (0..<128).map { $0 % 4 }, key: Self.key))
        #expect(w.kernel.nics["eth1"]!.hashFields == Self.fields)
    }

    @Test("nothing declared: verify (and plumb show --nic) reports the table")
    func reported() throws {
        let w = Self.world()
        let l = try Self.layer("{txqueuelen: 1000}")
        let row = try w.engine().verify(l).nics.first?.checks.first { $0.name == "rss" }
        #expect(row?.status == .pass && row?.observed == "128 entries over queues 0,1,2,3, 40-byte key", "\(String(describing: row))")
    }

    @Test("weights fill the table in proportion: weight 1 3 over 128 entries is 32 on queue 0, 96 on queue 1")
    func weights() throws {
        let w = Self.world()
        try w.engine().apply(try Self.layer("{rss: {weights: [1, 3]}}"))
        #expect(w.kernel.nics["eth1"]!.rss?.indirection == Array(repeating: 0, count: 32) + Array(repeating: 1, count: 96))
        #expect(RSSTable.weighted([1, 0, 1], size: 4) == [0, 0, 2, 2])
    }

    @Test("more queues than the NIC has rx queues is refused naming both; with channels declared first it is planned")
    func queueLimit() throws {
        #expect(refusal(Self.world(), "{rss: {equal: 8}}").contains("nics[0].tuning.rss.equal: 8 queues, but eth1 (driver igb) has 4 rx queues"))
        let p = try Self.world().engine().plan(try Self.layer("{channels: {combined: 8}, rss: {equal: 8}}"))
        #expect(lines(p) == ["~ ethtool -L eth1 combined 8", "~ ethtool -X eth1 equal 8"])
    }

    @Test("a hash key of another size is refused naming the driver's; the right size is set by ethtool -X hkey")
    func hashKey() throws {
        #expect(refusal(Self.world(), #"{rss: {hashKey: "6d:5a"}}"#)
                .contains("nics[0].tuning.rss.hashKey: 2 bytes, but the hash key of eth1 (driver igb) is 40 bytes"))
        let key = (0..<40).map { _ in "6d" }.joined(separator: ":")
        let w = Self.world()
        let l = try Self.layer("{rss: {equal: 4, hashKey: \"\(key)\"}}")
        // The table already is equal 4: only the key changes.
        #expect(lines(try w.engine().plan(l)) == ["~ ethtool -X eth1 hkey \(key)"])
        try w.engine().apply(l)
        #expect(w.kernel.nics["eth1"]!.rss?.key == Array(repeating: 0x6d, count: 40))
    }

    @Test("a driver without RSS, without a key, or silent on a flow type: refused naming the driver and what it lacks")
    func unsupported() {
        let w = Self.world()
        #expect(refusal(w, "{rss: {hashFields: {sctp4: sdfn}}}")
                .contains("nics[0].tuning.rss.hashFields.sctp4: eth1 (driver igb) does not report rx-flow-hash sctp4"))
        w.kernel.nics["eth1"]!.rss!.key = []
        #expect(refusal(w, #"{rss: {hashKey: "6d:5a"}}"#).contains("eth1 (driver igb) has no RSS hash key to set"))
        w.kernel.nics["eth1"]!.rss = nil
        #expect(refusal(w, "{rss: {equal: 2}}").contains("nics[0].tuning.rss: eth1 (driver igb) does not support rss: ETHTOOL_MSG_RSS_GET eth1"))
    }

    @Test("fields the driver refuses (tcp4 takes only sdfn): the apply fails naming ETHTOOL_SRXFH and undoes the table")
    func kernelRefusal() throws {
        let w = Self.world()
        let start = w.kernel.snapshot()
        let before = w.kernel.nics["eth1"]!
        #expect(throws: ApplyError.self) { try w.engine().apply(try Self.layer("{rss: {equal: 2, hashFields: {tcp4: sd}}}")) }
        #expect(w.kernel.nics["eth1"]! == before)
        expectSame(w.kernel.snapshot(), start, "after the rollback")
    }
}

extension RSSPlannerTests {
    @Test("a record whose RSS table or coalescing no apply could have written is refused as a whole")
    func untrustedRecord() {
        var o = NICOriginals(nic: "eth1")
        #expect(o.rxPathProblems.isEmpty)
        o.rssIndirection = Kept(original: [0, 1, -1, 0], applied: [0, 0, 0, 0])
        o.rssKey = Kept(original: [1, 2], applied: [1, 2, 3])
        o.coalesce = [.txUsecs: Kept(original: -5, applied: 30)]
        #expect(o.rxPathProblems == ["coalescing tx-usecs of eth1 is out of range",
                                     "the RSS table of eth1 is not a table the driver could have had",
                                     "the RSS key of eth1 changed size"])
    }
}
