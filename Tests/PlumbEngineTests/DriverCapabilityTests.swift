@testable import PlumbEngine
import PlumbNetlink
import PlumbSystem
import PlumbTypes
import Testing
import Foundation

/// Capability probing on fixture sysfs trees shaped like ixgbe, i40e, ice and mlx5 PFs, with
/// the VF attributes their kernels report (recorded from the drivers' get_vf_config: -1, read
/// as nil, where a driver leaves a setting unset), and what the pure planner then allows and
/// refuses — before any step.
@Suite("Driver capabilities: probed PFs, what the plan allows and refuses")
struct DriverCapabilityTests {
    /// A PF with 4 VFs (so the count is left alone) whose VF 0 gets `settings`.
    func plan(_ tree: SysfsTree, _ settings: String, reported vf: VFSettings) throws -> Plan {
        let l = try layer("version: 1\nnics: [{name: eth1, sriov: {numVFs: 4, vfs: [{index: 0, \(settings)}]}}]\n")
        let reported = (0..<4).map { i -> VFSettings in var s = vf; s.index = i; return s }
        return try Planner(layer: l, observed: tree.observed(settings: reported), record: nil).applyPlan()
    }

    func refusals(_ tree: SysfsTree, _ settings: String, reported vf: VFSettings) throws -> [String] {
        let e = #expect(throws: PlanErrors.self) { try plan(tree, settings, reported: vf) }
        return e?.errors.map(\.description) ?? []
    }

    func capabilities(_ tree: SysfsTree, reported vf: VFSettings) throws -> SRIOVCapabilities {
        SRIOVCapabilities(pf: try SRIOVSysfs(sysfsRoot: tree.root).findPF(name: "eth1"), vfs: [vf])
    }

    // ixgbe reports spoofchk, trust and rss_query_en; it has link state (5.18+), no minimum rate, no 802.1ad.
    static let ixgbeVF = VFSettings(index: 0, spoofCheck: true, trust: false, linkState: .auto, queryRSS: false)

    @Test("ixgbe-like (82599, VFs on ixgbevf): VLAN+qos, trust, spoof check, max rate, link state, RSS query allowed; a minimum rate and 802.1ad refused")
    func ixgbe() throws {
        let tree = try SysfsTree(numVFs: 4, driver: "ixgbe", vfDriver: "ixgbevf", totalVFs: 63, autoprobe: true)
        let caps = try capabilities(tree, reported: Self.ixgbeVF)
        #expect(caps.vfDriver == "ixgbevf" && caps.totalVFs == 63 && caps.driversAutoprobe == true)
        #expect(caps.numVFsChange == .throughZero && caps.eswitchModes == [])
        #expect(caps.setting(.queryRSS) == .init(feature: .queryRSS, support: .yes, source: .both, detail: nil))
        let p = try plan(tree, "vlan: 12, qos: 3, trust: true, spoofCheck: false, maxTxRate: 500, linkState: disable, queryRSS: true",
                         reported: Self.ixgbeVF)
        #expect(p.steps.map(\.action.command) == ["ip link set dev eth1 vf 0 vlan 12 qos 3 max_tx_rate 500 spoofchk off state disable query_rss on trust on"])
        #expect(try refusals(tree, "vlan: 12, vlanProto: 802.1ad, minTxRate: 100", reported: Self.ixgbeVF) == [
            "nics[0].sriov.vfs[0].vlanProto: driver ixgbe of eth1 cannot set 802.1ad VF VLANs (ixgbe_ndo_set_vf_vlan takes only 802.1Q (EPROTONOSUPPORT)) (line 2)",
            "nics[0].sriov.vfs[0].minTxRate: driver ixgbe of eth1 cannot set a VF's minimum transmit rate (ixgbe_ndo_set_vf_bw refuses a minimum rate (EINVAL)) (line 2)",
        ])
    }

    // i40e reports spoofchk, trust and link state; rss_query_en stays -1.
    static let i40eVF = VFSettings(index: 0, spoofCheck: true, trust: false, linkState: .auto, queryRSS: nil)

    @Test("i40e-like (X710, VFs on iavf): link state allowed; 802.1ad refused; the kernel reports no RSS query")
    func i40e() throws {
        let tree = try SysfsTree(numVFs: 4, driver: "i40e", vfDriver: "iavf", totalVFs: 64, autoprobe: false)
        let caps = try capabilities(tree, reported: Self.i40eVF)
        #expect(caps.vfDriver == "iavf" && caps.driversAutoprobe == false && caps.eswitchModes == [])
        #expect(caps.setting(.queryRSS).support == .no && caps.setting(.linkState).support == .yes)
        let p = try plan(tree, "vlan: 100, linkState: disable, trust: true", reported: Self.i40eVF)
        #expect(p.steps.map(\.action.command) == ["ip link set dev eth1 vf 0 vlan 100 state disable trust on"])
        #expect(try refusals(tree, "vlan: 100, vlanProto: 802.1ad", reported: Self.i40eVF) == [
            "nics[0].sriov.vfs[0].vlanProto: driver i40e of eth1 cannot set 802.1ad VF VLANs (i40e_ndo_set_vf_port_vlan takes only 802.1Q (EPROTONOSUPPORT)) (line 2)",
        ])
    }

    static let iceVF = VFSettings(index: 0, spoofCheck: true, trust: false, linkState: .auto, queryRSS: nil)

    @Test("ice-like (E810): 802.1ad, link state, trust allowed; eswitch legacy and switchdev; link state auto asks nothing")
    func ice() throws {
        let tree = try SysfsTree(numVFs: 4, driver: "ice", vfDriver: "iavf", totalVFs: 256)
        let caps = try capabilities(tree, reported: Self.iceVF)
        #expect(caps.eswitchModes == [.legacy, .switchdev] && caps.driversAutoprobe == nil)
        #expect(caps.setting(.minTxRate).support == .yes && caps.setting(.vlanProto8021ad).support == .yes)
        let p = try plan(tree, "vlan: 300, vlanProto: 802.1ad, linkState: enable, trust: true", reported: Self.iceVF)
        #expect(p.steps.map(\.action.command) == ["ip link set dev eth1 vf 0 vlan 300 proto 802.1ad state enable trust on"])
        #expect(try plan(tree, "linkState: auto", reported: Self.iceVF).converged)
    }

    // mlx5_core fills in spoofchk; here it is sent as -1, as from a device that does not report it,
    // to show the merge: the kernel's silence overrides the facts.
    static let mlx5VF = VFSettings(index: 0, spoofCheck: nil, trust: false, linkState: .auto, queryRSS: nil)

    @Test("mlx5-like (ConnectX, VFs on mlx5_core): link state and trust allowed; 802.1ad refused by the facts, spoof check by the kernel")
    func mlx5() throws {
        let tree = try SysfsTree(numVFs: 4, driver: "mlx5_core", vfDriver: "mlx5_core", totalVFs: 127, autoprobe: true)
        let caps = try capabilities(tree, reported: Self.mlx5VF)
        #expect(caps.vfDriver == "mlx5_core" && caps.eswitchModes == [.legacy, .switchdev])
        let p = try plan(tree, "linkState: enable, trust: true, maxTxRate: 1000", reported: Self.mlx5VF)
        #expect(p.steps.map(\.action.command) == ["ip link set dev eth1 vf 0 max_tx_rate 1000 state enable trust on"])
        #expect(try refusals(tree, "vlan: 5, vlanProto: 802.1ad, spoofCheck: true", reported: Self.mlx5VF) == [
            "nics[0].sriov.vfs[0].vlanProto: driver mlx5_core of eth1 cannot set 802.1ad VF VLANs (mlx5e_set_vf_vlan takes only 802.1Q (EPROTONOSUPPORT)) (line 2)",
            "nics[0].sriov.vfs[0].spoofCheck: driver mlx5_core of eth1 cannot set VF spoof checking (the kernel reports none for the VFs of this PF (IFLA_VF_SPOOFCHK is -1)) (line 2)",
        ])
    }

    @Test("igb (the lab's NIC): link state and 802.1ad refused before any step, even while VFs are still to be made")
    func igb() throws {
        let tree = try SysfsTree(numVFs: 0)
        let l = try layer("version: 1\nnics: [{name: eth1, sriov: {numVFs: 2, vfs: [{index: 1, vlan: 7, vlanProto: 802.1ad, linkState: disable}]}}]\n")
        let e = #expect(throws: PlanErrors.self) { try Planner(layer: l, observed: tree.observed(), record: nil).applyPlan() }
        #expect(e?.errors.map(\.path) == ["nics[0].sriov.vfs[0].vlanProto", "nics[0].sriov.vfs[0].linkState"])
        #expect(e?.errors.allSatisfy { $0.message.hasPrefix("driver igb of eth1 cannot set") } == true)
    }

    @Test("a driver without facts: the kernel's report decides spoof check, trust and RSS query; the rest is the kernel's to refuse")
    func unknownDriver() throws {
        let tree = try SysfsTree(numVFs: 4, driver: "bnxt_en", vfDriver: "bnxt_en")
        let vf = VFSettings(index: 0, spoofCheck: true, trust: nil, linkState: .auto, queryRSS: nil)
        let caps = try capabilities(tree, reported: vf)
        #expect(!caps.knownDriver && caps.numVFsChange == nil && caps.eswitchModes == nil)
        #expect(caps.setting(.spoofCheck).support == .yes && caps.setting(.trust).support == .no)
        #expect(caps.setting(.linkState).support == .unknown)
        #expect(try plan(tree, "linkState: disable, spoofCheck: false", reported: vf).steps.count == 1)
        #expect(try refusals(tree, "trust: true", reported: vf).first?.hasPrefix("nics[0].sriov.vfs[0].trust: driver bnxt_en of eth1 cannot set VF trust") == true)
    }
}

@Suite("Driver capabilities: what plumb show --nic prints")
struct CapabilityReportTests {
    @Test("text: counts, VF driver, autoprobe, count rule, eswitch, each setting with its source; JSON: the report's sriov object")
    func report() throws {
        let tree = try SysfsTree(numVFs: 2, autoprobe: true)
        let pf = try SRIOVSysfs(sysfsRoot: tree.root).findPF(name: "eth1")
        let caps = SRIOVCapabilities(pf: pf, vfs: [VFSettings(index: 0, spoofCheck: true, trust: false)])
        #expect(Array(caps.text.prefix(4)) == [
            "sriov eth1 (0000:01:00.0, driver igb):",
            "  VFs 2 of 7, VF driver igbvf, drivers autoprobe on",
            "  count change: through 0 (destroys live VFs)",
            "  eswitch modes: none (no devlink eswitch)",
        ])
        #expect(caps.text.contains("  spoofCheck: yes [driver facts + kernel]"))
        #expect(caps.text.contains("  vlanProto 802.1ad: no [driver facts] — igb_ndo_set_vf_vlan takes only 802.1Q (EPROTONOSUPPORT)"))
        #expect(caps.text.count == 4 + VFFeature.allCases.count)
        var r = NICReport(name: "eth1", driver: "igb", checks: [])
        r.sriov = caps
        let json = String(decoding: try JSONEncoder().encode(r), as: UTF8.self)
        #expect(json.contains(#""sriov":{"#) && json.contains(#""feature":"linkState""#))
        #expect(!String(decoding: try JSONEncoder().encode(NICReport(name: "veth0", driver: "veth", checks: [])), as: UTF8.self).contains("sriov"))
    }
}
