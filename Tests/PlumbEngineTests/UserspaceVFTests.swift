import PlumbEngine
import PlumbNetlink
import PlumbSystem
import PlumbTypes
import Testing

/// `vf: {nic, index, driver: vfio-pci}` on the fake kernel: the VF's netdev goes with igbvf,
/// nothing is moved or renamed, the plan and verify name /dev/vfio/N, the re-plan is empty,
/// destroy gives igbvf back (and the netdev returns); refusals before any change.
@Suite("Userspace (DPDK) VFs: bound to vfio-pci, given back at destroy")
struct UserspaceVFTests {
    static let yaml = """
        version: 1
        name: dpdk
        nics: [{name: eth1, sriov: {numVFs: 2, vfs: [{index: 1, vlan: 12, mac: "02:00:00:00:00:41"}]}}]
        containers:
          - {name: c1, netns: c1, interfaces: [{name: dpdk0, vf: {nic: eth1, index: 1, driver: vfio-pci}}]}
        """

    /// VF 1's driver, from the fake sysfs.
    func driver(_ w: World) throws -> String? { try w.engine().kernel.sriov.findPF(.name("eth1")).vf(1)?.driver }

    @Test("VFs already there: the VF is bound to vfio-pci (its netdev gone), the plan names /dev/vfio/11, verify passes, the re-plan is empty")
    func binds() throws {
        let w = World(.standard(numVFs: 2))
        let netdev = try #require(w.kernel.physicalFunction(w.kernel.pfs["eth1"]!).vf(1)?.netdev)
        let l = try layer(Self.yaml)
        let plan = lines(try w.engine().plan(l))
        #expect(plan.contains("~ echo vfio-pci > /sys/bus/pci/devices/0000:01:10.1/driver_override; echo 0000:01:10.1 > /sys/bus/pci/devices/0000:01:10.1/driver/unbind; echo 0000:01:10.1 > /sys/bus/pci/drivers_probe   (VF 1 of eth1: igbvf → vfio-pci, /dev/vfio/11)   # its netdev \(netdev) goes with igbvf"), "\(plan)")
        try w.engine().apply(l)
        #expect(try driver(w) == "vfio-pci")
        #expect(w.kernel.host.link(named: netdev) == nil)
        #expect(try w.kernel.namespace(.named("c1")).link(named: "dpdk0") == nil, "nothing moved into the container")
        #expect(w.kernel.pfs["eth1"]!.settings.first { $0.index == 1 }?.vlan.id == 12, "PF-side settings still apply")
        let report = try w.engine().verify(l)
        let c1 = try #require(report.containers.first { $0.name == "c1" })
        #expect(c1.checks.first { $0.name == "vf-driver" }?.status == .pass, "\(c1.checks)")
        #expect(c1.checks.first { $0.name == "vfio-group" }?.observed == "/dev/vfio/11")
        #expect(try w.record(l)?.boundVFs == [BoundVF(pf: "eth1", vf: 1, pciAddress: "0000:01:10.1", iommuGroup: 11,
                                                      driver: Kept(original: "igbvf", applied: "vfio-pci"))])
        #expect(try w.engine().plan(l).converged)
    }

    @Test("destroy gives igbvf back: the VF has a netdev in the host again; no override left")
    func restores() throws {
        let w = World(.standard(numVFs: 2))
        let l = try layer(Self.yaml)
        try w.engine().apply(l)
        let destroyed = lines(try w.engine().destroy(l.owner))
        #expect(destroyed.contains { $0.contains("(VF 1 of eth1: vfio-pci → igbvf)   # restore") }, "\(destroyed)")
        let vf = try #require(w.kernel.physicalFunction(w.kernel.pfs["eth1"]!).vf(1))
        #expect(vf.driver == "igbvf" && vf.netdev != nil && vf.driverOverride == nil)
        #expect(try w.record(l) == nil)
    }

    @Test("VFs made by the same apply: bound after they appear; destroy takes the count back to 0")
    func fresh() throws {
        let w = World(.standard())
        let l = try layer(Self.yaml)
        try w.engine().apply(l)
        #expect(try driver(w) == "vfio-pci")
        #expect(try w.engine().plan(l).converged)
        try w.engine().destroy(l.owner)
        #expect(w.kernel.pfs["eth1"]!.numVFs == 0)
    }

    @Test("a failure after the bind: the rollback gives igbvf back, the kernel as it was")
    func rollback() throws {
        let w = World(.standard(numVFs: 2))
        let before = w.kernel.snapshot()
        let l = try layer(Self.yaml + "\nbridges: [{name: br9, addresses: [10.9.0.1/24]}]\n")
        w.kernel.fail("addAddress")
        #expect(throws: (any Error).self) { try w.engine().apply(l) }
        #expect(w.kernel.log.contains("bindVF"), "the bind ran before the failure")
        #expect(try driver(w) == "igbvf")
        let after = w.kernel.snapshot()
        // igbvf's probe makes a new netdev (a new ifindex and MAC): everything else is as it was.
        #expect(after.namespaces.count == before.namespaces.count && after.tables == before.tables && after.pfs == before.pfs)
    }

    @Test("refused before any change: vfio-pci not loaded; no IOMMU; bound to vfio-pci by someone else; addresses on it")
    func refusals() throws {
        func refusal(_ k: FakeKernel, _ yaml: String = Self.yaml) throws -> String {
            let w = World(k)
            let before = k.snapshot()
            let e = #expect(throws: (any Error).self) { try w.engine().apply(try layer(yaml)) }
            #expect(k.snapshot() == before)
            return e.map { "\($0)" } ?? ""
        }
        let unloaded = FakeKernel.standard(numVFs: 2)
        unloaded.pciDrivers.remove("vfio-pci")
        #expect(try refusal(unloaded).contains("containers[0].interfaces[0].vf.driver: PCI driver vfio-pci is not loaded"))
        let noIOMMU = FakeKernel.standard(numVFs: 2)
        noIOMMU.pfs["eth1"]!.noIOMMU = true
        #expect(try refusal(noIOMMU).contains("has no IOMMU group: vfio-pci needs the IOMMU on"))
        let taken = FakeKernel.standard(numVFs: 2)
        try taken.sriov.bindVF(pci: "0000:01:10.1", to: "vfio-pci", keep: true)
        #expect(try refusal(taken).contains("VF 1 of eth1 (0000:01:10.1) is already bound to vfio-pci, not by this owner"))
        let addressed = Self.yaml.replacingOccurrences(of: "driver: vfio-pci}}", with: "driver: vfio-pci}, addresses: [10.0.0.2/24]}")
        #expect(try refusal(.standard(numVFs: 2), addressed).contains("containers[0].interfaces[0].addresses: a VF bound to vfio-pci has no netdev"))
    }
}

/// A record is untrusted input: a bound VF entry Plumb could not have written is refused
/// (its driver names become sysfs path components at destroy).
@Suite("Userspace VFs: the record's bound VFs as untrusted input")
struct BoundVFRecordTests {
    func problems(_ b: BoundVF) throws -> [String] {
        var r = Record(owner: try layer(UserspaceVFTests.yaml).owner)
        r.boundVFs = [b]
        return r.problems()
    }

    @Test("what apply writes passes; a path as the original driver, a kernel driver as the applied one, a bad PCI address do not")
    func untrusted() throws {
        let good = BoundVF(pf: "eth1", vf: 1, pciAddress: "0000:01:10.1", iommuGroup: 11, driver: Kept(original: "igbvf", applied: "vfio-pci"))
        #expect(try problems(good).isEmpty)
        #expect(try problems(BoundVF(pf: "eth1", vf: 0, pciAddress: nil, iommuGroup: nil, driver: Kept(original: nil, applied: "vfio-pci"))).isEmpty)
        var b = good; b.driver.original = "../../devices"
        #expect(try problems(b) == ["VF 1 of eth1 has no driver name as its original: ../../devices"])
        b = good; b.driver.applied = "igbvf"
        #expect(try problems(b) == ["VF 1 of eth1 is recorded as bound to igbvf: plumb binds only userspace drivers"])
        b = good; b.pciAddress = "0000:01:10.1/../x"
        #expect(try problems(b) == ["VF 1 of eth1: 0000:01:10.1/../x is not a PCI address"])
        b = good; b.vf = -1
        #expect(try problems(b) == ["VF index -1 is negative"])
    }
}
