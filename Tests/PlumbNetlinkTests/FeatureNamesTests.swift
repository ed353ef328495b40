import PlumbNetlink
import Testing

/// The names `ethtool -k` prints, resolved against a veth's features as ethtool netlink lists them.
@Suite("Feature names")
struct FeatureNamesTests {
    static let on = Ethtool.Feature(active: true, requested: true, changeable: true)
    static let off = Ethtool.Feature(active: false, requested: false, changeable: true)
    static let fixedOff = Ethtool.Feature(active: false, requested: false, changeable: false)
    static let veth = Ethtool.Features(byName: [
        "rx-gro": off, "rx-lro": fixedOff, "rx-gro-list": off, "tx-checksum-ip-generic": on, "tx-checksum-ipv4": fixedOff,
        "tx-checksum-ipv6": fixedOff, "tx-checksum-sctp": on, "tx-scatter-gather": on,
    ])

    @Test("a kernel name is itself; a legacy long or short name is the group's features the device has")
    func resolve() {
        #expect(Ethtool.FeatureNames.resolve("rx-gro-list", in: Self.veth) == ["rx-gro-list"])
        #expect(Ethtool.FeatureNames.resolve("gro", in: Self.veth) == ["rx-gro"])
        #expect(Ethtool.FeatureNames.resolve("tx-checksumming", in: Self.veth)
                == ["tx-checksum-ipv4", "tx-checksum-ip-generic", "tx-checksum-ipv6", "tx-checksum-sctp"])
        #expect(Ethtool.FeatureNames.resolve("tx", in: Self.veth) == Ethtool.FeatureNames.resolve("tx-checksumming", in: Self.veth))
        #expect(Ethtool.FeatureNames.resolve("rxhash", in: Self.veth) == nil, "the device has no rx-hashing")
        #expect(Ethtool.FeatureNames.resolve("bogus", in: Self.veth) == nil)
    }

    @Test("a group reads as ethtool -k prints it: on when any is on, [fixed] only when all are")
    func groupState() {
        let tx = Ethtool.FeatureNames.resolve("tx-checksumming", in: Self.veth)!
        #expect(Ethtool.FeatureNames.state(of: tx, in: Self.veth)?.description == "on")
        #expect(Ethtool.FeatureNames.state(of: ["rx-lro"], in: Self.veth)?.description == "off [fixed]")
    }

    @Test("close matches for a misspelt name, nearest first")
    func closeMatches() {
        #expect(Ethtool.FeatureNames.closeMatches("rx-gro-lst", in: Self.veth).first == "rx-gro-list")
        #expect(Ethtool.FeatureNames.closeMatches("tx-checksuming", in: Self.veth).first == "tx-checksumming")
        #expect(Ethtool.FeatureNames.known(in: Self.veth).contains("scatter-gather"))
        #expect(!Ethtool.FeatureNames.known(in: Self.veth).contains("receive-hashing"))
    }
}
