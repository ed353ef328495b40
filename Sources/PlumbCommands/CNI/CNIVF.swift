import Foundation
import PlumbEngine
import PlumbManifest
import PlumbSystem
import PlumbTypes

/// CNI for an SR-IOV VF, as the device plugin hands it over (`vf.deviceID` is its PCI
/// address), like sriov-cni: PF-side settings, the VF netdev into CNI_NETNS as
/// CNI_IFNAME, IPAM addresses. One layer per attachment; DEL moves the VF back and
/// restores its PF-side settings.
struct CNIVF {
    let run: CNIRun

    func layer(_ ipam: CNIResult, engine: Engine) throws -> Layer {
        let vfConf = run.config.vf!
        let a = try run.attachment(needNetns: false)
        let (pf, vf): (PhysicalFunction, VirtualFunction)
        do { (pf, vf) = try engine.kernel.sriov.findVF(pci: vfConf.deviceID) } catch {
            throw CNIError(CNIError.invalidConfig, "vf.deviceID \(vfConf.deviceID)", details: "\(error)")
        }
        let settings = VFConfig(index: vf.index, vlan: vfConf.vlan, qos: vfConf.qos, mac: vfConf.mac.flatMap(MACAddress.init),
                                spoofCheck: vfConf.spoofCheck, trust: vfConf.trust, maxTxRate: vfConf.maxTxRate)
        let c = Container(name: a.containerName, netns: a.namespace,
                          interfaces: [Interface(name: a.ifname, kind: .vf(nic: pf.name, index: vf.index),
                                                 addresses: try ipam.prefixes(), mtu: run.config.mtu)],
                          routes: ipam.manifestRoutes())
        let m = Manifest(name: run.config.name, nics: [NIC(selector: .name(pf.name), sriov: SRIOV(numVFs: pf.numVFs ?? 0, vfs: [settings]))],
                         containers: [c])
        return Layer(owner: a.owner, manifest: m)
    }

    func add() throws -> Data {
        let a = try run.attachment(needNetns: true)
        let prev = try run.previousResult()
        let ipam = try JSONDecoder().decode(CNIResult.self, from: try IPAM.run(command: "ADD", config: run.input, type: try run.ipamType(), env: run.env))
        do {
            let engine = try Engine()
            try engine.provision(host: nil, container: try layer(ipam, engine: engine),
                                 binding: ContainerBinding(containerID: a.containerID, process: nil, namespace: nil))
            let link = try a.namespace.flatMap { try engine.kernel.links(in: $0).link(name: a.ifname) }
            return CNIResult(cniVersion: run.config.cniVersion,
                             interfaces: [.init(name: a.ifname, mac: link?.mac?.description, mtu: link?.mtu, sandbox: a.netns)],
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
        if run.config.ipam != nil, run.env["CNI_PATH"] != nil {
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
