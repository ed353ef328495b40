import PlumbEngine
import PlumbTypes
import Testing

/// Verify reads back what `nics[].sriov` declares even when no container uses the VFs:
/// the VF count and each declared VF's PF-side settings.
@Suite("Verify: host-side SR-IOV")
struct VerifySRIOVTests {
    static let yaml = "version: 1\nname: host-vfs\nnics:\n  - name: eth1\n    sriov: {numVFs: 2, vfs: [{index: 1, vlan: 5, trust: true}]}\n"

    @Test("after apply: numvfs and vf-settings pass; a trust flipped behind plumb's back fails the VF's row only")
    func drift() throws {
        let w = World(.standard())
        let l = try layer(Self.yaml)
        try w.engine().apply(l)
        let good = try w.engine().verify(l).host.checks
        #expect(good.first { $0.name == "numvfs" }?.status == .pass)
        let row = try #require(good.first { $0.name == "vf-settings" && $0.interface == "eth1 vf 1" })
        #expect(row.status == .pass)
        let i = try #require(w.kernel.pfs["eth1"]?.settings.firstIndex { $0.index == 1 })
        w.kernel.pfs["eth1"]?.settings[i].trust = false
        let bad = try w.engine().verify(l).host.checks
        let failed = try #require(bad.first { $0.name == "vf-settings" && $0.interface == "eth1 vf 1" })
        #expect(failed.status == .fail && failed.observed.contains("trust"), "\(failed)")
        #expect(bad.first { $0.name == "numvfs" }?.status == .pass)
    }

    @Test("a VF count changed behind plumb's back fails numvfs")
    func count() throws {
        let w = World(.standard())
        let l = try layer(Self.yaml)
        try w.engine().apply(l)
        try w.kernel.setNumVFs("eth1", 0)
        let c = try #require(try w.engine().verify(l).host.checks.first { $0.name == "numvfs" })
        #expect(c.status == .fail && c.observed.hasPrefix("0 VFs"), "\(c)")
    }
}
