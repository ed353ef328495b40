import Testing
import PlumbTypes
@testable import PlumbManifest

/// `rps`, `xps`, `txqueuelen` and any-feature `offloads` as the decoder and validator see them.
@Suite("Manifest: receive-path keys")
struct RxPathManifestTests {
    static func nic(_ tuning: String) -> String {
        "version: 1\nnics:\n  - name: eth1\n    tuning:\n      \(tuning)\n"
    }

    @Test("rps/xps for every queue or one per queue, txqueuelen, and features by any name in the manifest's order")
    func decodes() throws {
        let m = try #require(load(Self.nic("""
            {rps: {cpus: spread, flowEntries: 4096}, xps: [{cpus: "0"}, {cpus: "1-3"}], txqueuelen: 5000, offloads: {tx-checksumming: false, gro: true, rx-gro-list: true}}
            """)))
        let t = try #require(m.nics.first?.tuning)
        #expect(t.rps == .all(.init(cpus: .spread, flowEntries: 4096)))
        #expect(t.xps == .each([.init(cpus: .list("0")), .init(cpus: .list("1-3"))]))
        #expect(t.txqueuelen == 5000)
        #expect(t.offloads?.settings == [.init("tx-checksumming", false), .init("gro", true), .init("rx-gro-list", true)])
        #expect(t.offloads?.gro == true)
    }

    @Test("mistakes name path and line: a bad CPU list, a flow table that is not a power of two, txqueuelen 0, xps flowEntries, a non-bool feature")
    func mistakes() {
        #expect(problems(Self.nic(#"rps: {cpus: "1-a"}"#)) == [#"nics[0].tuning.rps.cpus: "1-a" is neither spread nor a CPU list like "0" or "1-3,5" (line 5)"#])
        #expect(problems(Self.nic("rps: {cpus: spread, flowEntries: 1000}")) == ["nics[0].tuning.rps.flowEntries: 1000 is not 0 or a power of two up to 1073741824 (the kernel rounds rps_flow_cnt up to one) (line 5)"])
        #expect(problems(Self.nic("txqueuelen: 0")) == ["nics[0].tuning.txqueuelen: 0 is out of range 1-4294967295 (line 5)"])
        #expect(problems(Self.nic("xps: {cpus: spread, flowEntries: 8}")).first?.contains("flowEntries") == true)
        #expect(problems(Self.nic("offloads: {gro: maybe}")).first?.contains("nics[0].tuning.offloads.gro") == true)
    }
}

/// `coalesce:` in full: rx and tx, adaptive switches, and the `Irq` variants.
@Suite("Manifest: coalescing keys")
struct CoalesceManifestTests {
    @Test("every key decodes: switches as on/off, the rest as counts")
    func decodes() throws {
        let m = try #require(load(RxPathManifestTests.nic("""
            coalesce: {adaptiveRx: false, adaptiveTx: true, rxUsecs: 50, rxFrames: 16, rxUsecsIrq: 8, rxFramesIrq: 2, txUsecs: 100, txFrames: 32, txUsecsIrq: 9, txFramesIrq: 3}
            """)))
        let c = try #require(m.nics.first?.tuning?.coalesce)
        #expect(c.values == [.adaptiveRx: 0, .adaptiveTx: 1, .rxUsecs: 50, .rxFrames: 16, .rxUsecsIrq: 8, .rxFramesIrq: 2,
                             .txUsecs: 100, .txFrames: 32, .txUsecsIrq: 9, .txFramesIrq: 3])
    }

    @Test("mistakes name path and line: a negative count, a count for a switch, an unknown key")
    func mistakes() {
        #expect(problems(RxPathManifestTests.nic("coalesce: {txFramesIrq: -1}"))
                == ["nics[0].tuning.coalesce.txFramesIrq: -1 is out of range 0-4294967295 (line 5)"])
        #expect(problems(RxPathManifestTests.nic("coalesce: {adaptiveTx: 5}")).first?.contains("nics[0].tuning.coalesce.adaptiveTx") == true)
        #expect(problems(RxPathManifestTests.nic("coalesce: {txUsec: 5}")).first?.contains("nics[0].tuning.coalesce.txUsec") == true)
    }
}

/// `rss:` as the decoder and validator see it.
@Suite("Manifest: rss")
struct RSSManifestTests {
    @Test("equal or weights, a key, hash fields as one string or letter groups")
    func decodes() throws {
        let m = try #require(load(RxPathManifestTests.nic(#"rss: {weights: [1, 2], hashKey: "6d:5A:00", hashFields: {tcp4: [sd, fn], udp6: sd}}"#)))
        let r = try #require(m.nics.first?.tuning?.rss)
        #expect(r.table == .weights([1, 2]))
        #expect(r.hashKey.flatMap(Tuning.RSS.keyBytes) == [0x6d, 0x5a, 0x00])
        #expect(r.hashFields == [.init(.tcp4, RxHashFields(letters: "sdfn")!), .init(.udp6, RxHashFields(letters: "sd")!)])
        #expect(try #require(load(RxPathManifestTests.nic("rss: {equal: 4}"))).nics.first?.tuning?.rss?.table == .equal(4))
    }

    @Test("mistakes name path and line")
    func mistakes() {
        #expect(problems(RxPathManifestTests.nic("rss: {equal: 0}")) == ["nics[0].tuning.rss.equal: 0 must be positive (line 5)"])
        #expect(problems(RxPathManifestTests.nic("rss: {weights: [0, 0]}")) == ["nics[0].tuning.rss.weights: needs at least one queue with a weight above 0 (line 5)"])
        #expect(problems(RxPathManifestTests.nic("rss: {equal: 2, weights: [1]}")).first?.contains("give equal or weights, not both") == true)
        #expect(problems(RxPathManifestTests.nic(#"rss: {hashKey: "6d:5"}"#)).first?.hasPrefix(#"nics[0].tuning.rss.hashKey: "6d:5" is not a hash key"#) == true)
        #expect(problems(RxPathManifestTests.nic("rss: {hashFields: {tcp4: sdx}}")).first?.contains(#"nics[0].tuning.rss.hashFields.tcp4: "sdx" is not rx-flow-hash fields"#) == true)
        #expect(problems(RxPathManifestTests.nic("rss: {hashFields: {tcp5: sd}}")).first?.contains("nics[0].tuning.rss.hashFields.tcp5") == true)
    }
}
