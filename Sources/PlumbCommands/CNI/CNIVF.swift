import Foundation
import PlumbEngine
import PlumbManifest
import PlumbSystem
import PlumbTypes

/// CNI for an SR-IOV VF, as the device plugin hands it over (`deviceID` is its PCI
/// address), like sriov-cni: PF-side settings, the VF netdev into CNI_NETNS as
/// CNI_IFNAME, IPAM addresses. One layer per attachment; DEL moves the VF back and
/// restores its PF-side settings.
struct CNIVF {
    let run: CNIRun

    var vfConf: CNIConfig.VF { run.config.vf! }

    /// The VF and its PF, found by PCI address; a setting its driver cannot do is refused here.
    func find(_ engine: Engine) throws -> (PhysicalFunction, VirtualFunction) {
        let (pf, vf): (PhysicalFunction, VirtualFunction)
        do { (pf, vf) = try engine.kernel.sriov.findVF(pci: vfConf.deviceID) } catch {
            throw CNIError(CNIError.invalidConfig, "deviceID \(vfConf.deviceID) is not a VF of this host", details: "\(error)")
        }
        try VFDriverLimits.check(vfConf, pf: pf, kernel: engine.kernel, version: run.config.cniVersion)
        return (pf, vf)
    }

    /// sriov-cni's DPDK mode: a VF the device plugin already bound to a userspace driver, with
    /// no `driver` asked of Plumb. Its binding is not Plumb's (nothing proves otherwise): only
    /// its PF-side settings are applied and restored; nothing is bound, moved or addressed.
    func preBound(_ vf: VirtualFunction) -> VFUserspaceDriver? {
        guard vfConf.driver == nil else { return nil }
        return vf.driver.flatMap(VFUserspaceDriver.init(rawValue:))
    }

    /// runtimeConfig's `mac` (a pod's request) wins over the configuration's, as in sriov-cni.
    var mac: MACAddress? { run.config.runtime.mac ?? vfConf.mac }

    func layer(_ ipam: CNIResult, engine: Engine) throws -> Layer {
        let a = try run.attachment(needNetns: false)
        let (pf, vf) = try find(engine)
        let settings = vfConf.settings(index: vf.index, mac: mac)
        // A DPDK VF has no netdev: IPAM's addresses are reported for the program that drives it,
        // not set, and nothing is routed through it (as sriov-cni does in DPDK mode).
        let iface = vfConf.driver.map { Interface(name: a.ifname, kind: .userspaceVF(nic: pf.name, index: vf.index, driver: $0)) }
            ?? Interface(name: a.ifname, kind: .vf(nic: pf.name, index: vf.index), addresses: try ipam.prefixes(), mtu: run.config.mtu)
        let external = preBound(vf)
        if let d = external, run.config.mtu != nil {
            throw CNIError(CNIError.invalidConfig, "mtu: VF \(vfConf.deviceID) is bound to \(d.rawValue): it has no netdev to set it on", version: run.config.cniVersion)
        }
        let c = Container(name: a.containerName, netns: a.namespace, interfaces: external == nil ? [iface] : [],
                          routes: vfConf.driver == nil && external == nil ? ipam.manifestRoutes() : [])
        let m = Manifest(name: run.config.name, nics: [NIC(selector: .name(pf.name), sriov: SRIOV(numVFs: pf.numVFs ?? 0, vfs: [settings]))],
                         containers: [c])
        return Layer(owner: a.owner, manifest: m)
    }

    func add() throws -> Data {
        let a = try run.attachment(needNetns: true)
        let prev = try run.previousResult()
        let engine = try Engine()
        _ = try find(engine)  // refusals before IPAM allocates anything
        let ipam = try run.ipamAdd()
        do {
            try engine.provision(host: nil, container: try layer(ipam, engine: engine),
                                 binding: ContainerBinding(containerID: a.containerID, process: nil, namespace: nil))
            let link = try a.namespace.flatMap { try engine.kernel.links(in: $0).link(name: a.ifname) }
            // sriov-cni's shape: the one container interface; the PCI address as `pciID`
            // where the spec has that field (1.1.0).
            let pciID = CNIVersions.atLeast(run.config.cniVersion, "1.1.0") ? vfConf.deviceID : nil
            var shown = CNIResult.Interface(name: a.ifname, mac: link?.mac?.description, mtu: link?.mtu, sandbox: a.netns, pciID: pciID)
            let vf = try engine.kernel.sriov.findVF(pci: vfConf.deviceID).vf
            if vf.driver.flatMap(VFUserspaceDriver.init(rawValue:)) != nil {   // bound by Plumb, or beforehand
                shown.deviceID = vfConf.deviceID
                shown.vfioDevice = vf.iommuGroup.map { "/dev/vfio/\($0)" }
            }
            return CNIResult(cniVersion: run.config.cniVersion, interfaces: [shown],
                             ips: ipam.ips?.map { .init(version: nil, address: $0.address, gateway: $0.gateway, interface: 0) },
                             routes: ipam.routes, dns: ipam.dns).chained(after: prev).encoded(as: run.config.cniVersion)
        } catch {
            _ = try? IPAM.run(command: "DEL", config: run.input, type: try run.ipamType(), env: run.env)
            throw error
        }
    }

    func del() throws {
        let a = try run.attachment(needNetns: false)
        try Engine().unprovision(a.owner)
        if run.ipamReachable {
            _ = try IPAM.run(command: "DEL", config: run.input, type: try run.ipamType(), env: run.env)
        }
    }

    func check(_ prev: CNIResult) throws {
        let engine = try Engine()
        let report = try engine.verify(try layer(prev, engine: engine))
        guard report.ok else {
            throw CNIError(CNIError.checkFailed, "VF attachment does not match prevResult", details: report.failures.joined(separator: "; "))
        }
    }
}
