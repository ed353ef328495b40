import PlumbEngine
import PlumbNetlink
import PlumbTypes
import Testing

/// Every PF-side VF setting — minimum with maximum rate (IFLA_VF_RATE), link state, RSS query,
/// 802.1ad VLANs — and the VF netdev's MTU: applied, re-planned as empty, drift found and
/// repaired, restored at destroy where the driver has them; refused with the driver named where
/// it has not (igb), before anything changes. On the fake kernel, whose PF keeps what it is
/// given like netdevsim does, or refuses like igb.
@Suite("VF settings: every one, applied, drift-checked, restored; refused where the driver lacks it")
struct VFSettingsTests {
    static let yaml = """
        version: 1
        name: every
        nics:
          - name: eth1
            sriov:
              numVFs: 2
              vfs:
                - {index: 0, vlan: 100, vlanProto: 802.1ad, minTxRate: 100, maxTxRate: 500, linkState: disable,
                   queryRSS: true, trust: true, spoofCheck: false}
                - {index: 1, minTxRate: 50}
        containers:
          - {name: c1, netns: c1, interfaces: [{name: eth1, vf: {nic: eth1, index: 1}, mtu: 9000}]}
        """

    /// The standard host with eth1 driven by netdevsim (it keeps every VF setting).
    static func netdevsim() -> FakeKernel {
        let k = FakeKernel.standard()
        k.pfs["eth1"]!.driver = "netdevsim"
        k.pfs["eth1"]!.unsupported = []
        return k
    }

    func settings(_ w: World, _ vf: Int) -> VFSettings? { w.kernel.pfs["eth1"]!.settings.first { $0.index == vf } }

    @Test("netdevsim-like: each setting in one step with its ip words; applied; the re-plan is empty")
    func applies() throws {
        let w = World(Self.netdevsim())
        let l = try layer(Self.yaml)
        let plan = lines(try w.engine().plan(l))
        #expect(plan.contains("~ ip link set dev eth1 vf 0 vlan 100 proto 802.1ad min_tx_rate 100 max_tx_rate 500 state disable query_rss on trust on"), "a new netdevsim VF has spoof checking off already: \(plan)")
        #expect(plan.contains("~ ip link set dev eth1 vf 1 min_tx_rate 50"), "\(plan)")
        try w.engine().apply(l)
        let vf0 = try #require(settings(w, 0))
        #expect(vf0.vlan == VFVLAN(id: 100, proto: .dot1ad) && vf0.minTxRate == 100 && vf0.maxTxRate == 500)
        #expect(vf0.linkState == .disable && vf0.queryRSS == true && vf0.trust == true && vf0.spoofCheck == false)
        #expect(settings(w, 1)?.minTxRate == 50 && settings(w, 1)?.maxTxRate == 0)
        #expect(try w.kernel.namespace(.named("c1")).link(named: "eth1")?.mtu == 9000)
        #expect(try w.engine().plan(l).converged)
    }

    @Test("drift in the minimum rate, link state, RSS query and the VF's MTU: found, and repaired to the manifest")
    func drift() throws {
        let w = World(Self.netdevsim())
        let l = try layer(Self.yaml)
        try w.engine().apply(l)
        let i = w.kernel.pfs["eth1"]!.settings.firstIndex { $0.index == 0 }!
        w.kernel.pfs["eth1"]!.settings[i].minTxRate = 10
        w.kernel.pfs["eth1"]!.settings[i].linkState = .enable
        w.kernel.pfs["eth1"]!.settings[i].queryRSS = false
        w.kernel.edit("eth1", in: .named("c1")) { $0.mtu = 1500 }
        let plan = lines(try w.engine().plan(l))
        #expect(plan.contains("~ ip link set dev eth1 vf 0 min_tx_rate 100 state disable query_rss on"), "\(plan)")
        #expect(plan.contains { $0.hasPrefix("~ ip -n c1 link set dev eth1 mtu 9000") }, "\(plan)")
        try w.engine().apply(l)
        #expect(settings(w, 0)?.minTxRate == 100 && settings(w, 0)?.maxTxRate == 500 && settings(w, 0)?.linkState == .disable)
        #expect(try w.engine().plan(l).converged)
    }

    @Test("destroy restores every setting (VF count kept by someone else), and the VF netdev's MTU at home")
    func restores() throws {
        let k = Self.netdevsim()
        try k.setNumVFs("eth1", 2)   // the VFs were there before: only their settings are Plumb's
        let home = try #require(k.host.links.values.first { $0.vf == FakeVFID(pf: "eth1", index: 1) })
        let w = World(k)
        let before = (settings(w, 0), settings(w, 1))
        let l = try layer(Self.yaml)
        try w.engine().apply(l)
        try w.engine().destroy(l.owner)
        #expect(settings(w, 0) == before.0 && settings(w, 1) == before.1)
        #expect(w.kernel.host.link(named: home.name)?.mtu == home.mtu)
    }

    @Test("igb: minTxRate, linkState, queryRSS and 802.1ad refused before any change, each naming igb and the setting")
    func igbRefuses() throws {
        let w = World(.standard())
        let before = w.kernel.snapshot()
        let l = try layer(Self.yaml)
        let e = #expect(throws: PlanErrors.self) { try w.engine().apply(l) }
        // (and the container's VF, which the refused count never makes)
        #expect(e?.errors.map(\.path).prefix(5) == ["nics[0].sriov.vfs[0].vlanProto", "nics[0].sriov.vfs[0].linkState",
                                          "nics[0].sriov.vfs[0].minTxRate", "nics[0].sriov.vfs[0].queryRSS",
                                          "nics[0].sriov.vfs[1].minTxRate"])
        #expect(e?.errors.first { $0.path.hasSuffix("minTxRate") }?.message
                == "driver igb of eth1 cannot set a VF's minimum transmit rate (igb_ndo_set_vf_bw refuses a minimum rate (EINVAL))")
        #expect(w.kernel.snapshot() == before)
    }

    @Test("a minimum above the maximum is a manifest error, with the line")
    func minAboveMax() throws {
        let e = #expect(throws: (any Error).self) {
            try layer("version: 1\nnics: [{name: eth1, sriov: {numVFs: 1, vfs: [{index: 0, minTxRate: 600, maxTxRate: 500}]}}]\n")
        }
        #expect("\(e.map { "\($0)" } ?? "")".contains("nics[0].sriov.vfs[0].minTxRate: 600 is above maxTxRate 500"))
    }
}
