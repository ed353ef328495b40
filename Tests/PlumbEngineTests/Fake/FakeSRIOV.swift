import PlumbEngine
import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// SR-IOV on the fake kernel: sysfs (`sriov_numvfs`, `virtfnN`) and the PF-side VF
/// settings, which `setVF` applies one at a time in `SetVF.settings` order and stops
/// at the first refusal with a `VFSettingError` listing what took, as igb does.
final class FakeSRIOV: SRIOVOps {
    let kernel: FakeKernel
    init(kernel: FakeKernel) { self.kernel = kernel }

    func findPF(_ selector: PFSelector) throws -> PhysicalFunction {
        switch selector {
        case .name(let n):
            guard kernel.host.link(named: n) != nil else { throw SRIOVError.noInterface(n) }
            if let pf = kernel.pfs[n] {
                guard pf.totalVFs != nil else { throw SRIOVError.noSRIOV(name: n, driver: pf.driver) }
                return kernel.physicalFunction(pf)
            }
            if let nic = kernel.nics[n] { throw SRIOVError.noSRIOV(name: n, driver: nic.driver) }
            throw SRIOVError.noDevice(n)
        case .pci(let p):
            guard let pf = kernel.pfs.values.first(where: { $0.pciAddress == p }) else { throw SRIOVError.noPCIDevice(p) }
            return try findPF(.name(pf.name))
        case .mac(let m):
            let names = kernel.host.links.values.filter { $0.mac == m && (kernel.pfs[$0.name] != nil || kernel.nics[$0.name] != nil) }
                .map(\.name).sorted()
            guard names.count < 2 else { throw SRIOVError.ambiguousMAC(m.description, names) }
            guard let n = names.first else { throw SRIOVError.noMAC(m.description) }
            return try findPF(.name(n))
        }
    }

    func findVF(pci: String) throws -> (pf: PhysicalFunction, vf: VirtualFunction) {
        for pf in kernel.pfs.values.sorted(by: { $0.name < $1.name }) {
            let p = kernel.physicalFunction(pf)
            if let vf = p.vfs.first(where: { $0.pciAddress == pci }) { return (p, vf) }
        }
        throw SRIOVError.notVirtualFunction(pci)
    }

    func setNumVFs(_ pf: PhysicalFunction, _ n: Int) throws { try kernel.setNumVFs(pf.name, n) }

    func bindVF(pci: String, to driver: String?, keep: Bool) throws {
        if let e = kernel.enter("bindVF") { throw SystemError("write", "/sys/bus/pci/drivers_probe", e) }
        guard let (name, index) = kernel.vfLocation(pci: pci) else { throw SRIOVError.noPCIDevice(pci) }
        if let driver, !kernel.pciDrivers.contains(driver) { throw SRIOVError.driverNotLoaded(driver) }
        let now = kernel.pfs[name]!.vfDrivers[index] ?? "igbvf"
        if now == "igbvf" {   // unbind: its netdev goes, wherever it is
            for ns in kernel.namespaces.values {
                for l in ns.links.values where l.vf == FakeVFID(pf: name, index: index) {
                    kernel.forget(FakeLinkID(ns: ns.id, index: l.index), in: ns)
                    ns.links[l.index] = nil
                }
            }
        }
        let bound = driver ?? "igbvf"
        kernel.pfs[name]!.vfDrivers[index] = bound == "igbvf" ? nil : .some(bound)
        kernel.pfs[name]!.vfOverrides[index] = keep ? driver : nil
        if bound == "igbvf" {   // igbvf probes: a new netdev in the host
            let i = kernel.host.allocateIndex()
            kernel.host.links[i] = FakeLink(index: i, name: kernel.host.freeName("eth%d"), mac: kernel.randomMAC(), vf: FakeVFID(pf: name, index: index))
        }
    }

    func pciDriverLoaded(_ name: String) -> Bool { kernel.pciDrivers.contains(name) }

    func vfioGroupPresent(_ group: Int) -> Bool {
        kernel.pfs.values.contains { pf in pf.vfDrivers.contains { i, d in d == "vfio-pci" && 10 + i == group } }
    }

    func waitForVFNetdevs(_ pf: PhysicalFunction, count: Int) throws {
        let now = kernel.physicalFunction(kernel.pfs[pf.name]!)
        let waiting = (0..<count).filter { now.vf($0)?.netdev == nil }
        guard waiting.isEmpty else {
            throw SRIOVError.vfNetdevsTimeout(name: pf.name, expected: count, appeared: now.vfs.count, present: count - waiting.count,
                                              waiting: waiting.map { "virtfn\($0)" }, seconds: 0)
        }
    }
}

extension FakeKernel {
    /// The PF as sysfs shows it; VF netdevs only while they are in the host namespace.
    func physicalFunction(_ pf: FakePF) -> PhysicalFunction {
        let vfs = (0..<pf.numVFs).map { i in
            VirtualFunction(index: i, pciAddress: pf.vfPCI(i),
                            netdevs: host.links.values.filter { $0.vf == FakeVFID(pf: pf.name, index: i) }.map(\.name),
                            driver: pf.vfDrivers[i] ?? "igbvf", iommuGroup: pf.noIOMMU ? nil : 10 + i, driverOverride: pf.vfOverrides[i])
        }
        return PhysicalFunction(name: pf.name, pciAddress: pf.pciAddress, driver: pf.driver,
                                mac: host.link(named: pf.name)?.mac?.description.lowercased() ?? "",
                                totalVFs: pf.totalVFs, numVFs: pf.totalVFs == nil ? nil : pf.numVFs, vfs: vfs)
    }

    /// `echo N > sriov_numvfs`: a non-zero count cannot change to another (EBUSY); 0
    /// destroys every VF, wherever its netdev is; N > 0 makes N netdevs in the host
    /// namespace with fresh PF-side settings.
    func setNumVFs(_ name: String, _ n: Int) throws {
        guard var pf = pfs[name], let total = pf.totalVFs else { throw SRIOVError.noSRIOV(name: name, driver: pfs[name]?.driver) }
        if let e = enter("setNumVFs") {
            throw SRIOVError.numVFsRefused(name: name, driver: pf.driver, requested: n, current: pf.numVFs, errno: e)
        }
        guard (0...total).contains(n) else { throw SRIOVError.tooManyVFs(name: name, requested: n, total: total) }
        guard pf.numVFs == 0 || n == 0 || n == pf.numVFs else {
            throw SRIOVError.numVFsRefused(name: name, driver: pf.driver, requested: n, current: pf.numVFs, errno: .busy)
        }
        if n == pf.numVFs { return }
        if n == 0 {
            for ns in namespaces.values {
                for l in ns.links.values where l.vf?.pf == name {
                    forget(FakeLinkID(ns: ns.id, index: l.index), in: ns)
                    ns.links[l.index] = nil
                }
            }
            pf.settings = []
            pf.vfDrivers = [:]; pf.vfOverrides = [:]
        } else {
            for i in 0..<n {
                let index = host.allocateIndex()
                host.links[index] = FakeLink(index: index, name: host.freeName("eth%d"), mac: randomMAC(), vf: FakeVFID(pf: name, index: i))
            }
            pf.settings = (0..<n).map {
                VFSettings(index: $0, mac: nil, vlan: VFVLAN(id: 0), spoofCheck: DriverFactTable.freshVF(pf.driver).spoofCheck ?? true, trust: false,
                           linkState: pf.unsupported.contains("link-state") ? nil : .auto,
                           queryRSS: pf.unsupported.contains("query_rss") ? nil : false)
            }
        }
        pf.numVFs = n
        pfs[name] = pf
    }

    /// `ip link set dev PF vf N SETTING`, one message per setting.
    func setVF(_ r: SetVF, ns: Int) throws {
        try r.validate()
        guard let link = namespaces[ns]?.links[r.pfIndex] else {
            throw NetlinkError(operation: "RTM_SETLINK", object: "ifindex \(r.pfIndex) (\(r.pfName))", errno: .noDevice)
        }
        var applied: [VFSetting] = []
        for s in r.settings {
            var errno = enter("setVF:\(s.name)")
            if errno == nil {
                if ns != Self.hostID || pfs[link.name] == nil { errno = .notSupported }
                else if r.vf >= pfs[link.name]!.numVFs { errno = .invalid }
                else if pfs[link.name]!.unsupported.contains(s.name) { errno = .notSupported }
            }
            if let errno {
                throw VFSettingError(pf: r.pfName, vf: r.vf, setting: s, driver: r.driver, applied: applied,
                                     cause: NetlinkError(operation: "RTM_SETLINK", object: "\(r.pfName) vf \(r.vf) \(s.name)", errno: errno))
            }
            let i = pfs[link.name]!.settings.firstIndex { $0.index == r.vf }!
            pfs[link.name]!.settings[i].apply(s)
            applied.append(s)
        }
    }
}

extension VFSettings {
    mutating func apply(_ s: VFSetting) {
        switch s {
        case .mac(let m): mac = m.isZero ? nil : m
        case .vlan(let v): vlan = v
        case .maxTxRate(let r): maxTxRate = r
        case .rate(let r): minTxRate = r.min; maxTxRate = r.max
        case .queryRSS(let on): queryRSS = on
        case .spoofCheck(let on): spoofCheck = on
        case .linkState(let l): linkState = l
        case .trust(let on): trust = on
        }
    }
}

extension FakeKernel {
    /// The PF and VF index of a VF's PCI address.
    func vfLocation(pci: String) -> (String, Int)? {
        for pf in pfs.values {
            if let i = (0..<pf.numVFs).first(where: { pf.vfPCI($0) == pci }) { return (pf.name, i) }
        }
        return nil
    }
}
