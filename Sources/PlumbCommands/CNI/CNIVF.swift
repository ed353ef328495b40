import Foundation
import PlumbEngine
import PlumbManifest
import PlumbSystem

/// CNI for an SR-IOV VF, as the device plugin hands it over (`vf.deviceID` is its
/// PCI address), like sriov-cni: PF-side settings, the VF netdev into CNI_NETNS as
/// CNI_IFNAME, IPAM addresses. One layer per attachment; DEL moves the VF back and
/// restores its PF-side settings.
struct CNIVF {
    let run: CNIRun

    func manifest(_ ipam: CNIResult) throws -> Manifest {
        let vfConf = run.config.vf!
        let a = try run.attachment(needNetns: false)
        let (pf, vf): (PhysicalFunction, VirtualFunction)
        do { (pf, vf) = try SRIOVSysfs().findVF(pci: vfConf.deviceID) } catch {
            throw CNIError(CNIError.invalidConfig, "vf.deviceID \(vfConf.deviceID)", details: "\(error)")
        }
        let settings = VFConfig(index: vf.index, vlan: vfConf.vlan, qos: vfConf.qos, mac: vfConf.mac.flatMap(MACAddress.init),
                                spoofCheck: vfConf.spoofCheck, trust: vfConf.trust, maxTxRate: vfConf.maxTxRate)
        let c = Container(name: a.containerName, netns: a.netns.map { .path($0) },
                          interfaces: [Interface(name: a.ifname, kind: .vf(nic: pf.name, index: vf.index),
                                                 addresses: try ipam.prefixes(), mtu: run.config.mtu)],
                          routes: ipam.manifestRoutes())
        return Manifest(name: a.layerName, nics: [NIC(selector: .name(pf.name), sriov: SRIOV(numVFs: pf.numVFs ?? 0, vfs: [settings]))],
                        containers: [c])
    }

    func add() throws -> Data {
        let a = try run.attachment(needNetns: true)
        let lock = try a.lock()
        defer { withExtendedLifetime(lock) {} }
        let ipam = try JSONDecoder().decode(CNIResult.self, from: try IPAM.run(command: "ADD", config: run.input, type: try run.ipamType(), env: run.env))
        do {
            let engine = try Engine(manifest: try manifest(ipam))
            try engine.apply()
            let report = try engine.verify()
            guard report.ok else {
                try engine.destroy()
                throw CNIError(CNIError.checkFailed, "VF attachment \(a.containerName) failed verification", details: report.failures.joined(separator: "; "))
            }
            let (seen, _) = try engine.observe()
            let link = seen.namespaces[a.netns ?? ""]?.link(named: a.ifname)
            return CNIResult(cniVersion: run.config.cniVersion,
                             interfaces: [.init(name: a.ifname, mac: link?.mac?.description, mtu: link?.mtu, sandbox: a.netns)],
                             ips: ipam.ips?.map { .init(version: nil, address: $0.address, gateway: $0.gateway, interface: 0) },
                             routes: ipam.routes, dns: ipam.dns).encoded(as: run.config.cniVersion)
        } catch {
            _ = try? IPAM.run(command: "DEL", config: run.input, type: try run.ipamType(), env: run.env)
            throw error
        }
    }

    func del() throws {
        let a = try run.attachment(needNetns: false)
        let lock = try a.lock()
        defer { withExtendedLifetime(lock) {} }
        try Engine(manifest: Manifest(name: a.layerName)).destroy()
        if run.config.ipam != nil, run.env["CNI_PATH"] != nil {
            _ = try IPAM.run(command: "DEL", config: run.input, type: try run.ipamType(), env: run.env)
        }
    }

    func check(_ prev: CNIResult) throws {
        let report = try Engine(manifest: try manifest(prev)).verify()
        guard report.ok else {
            throw CNIError(CNIError.checkFailed, "VF attachment does not match prevResult", details: report.failures.joined(separator: "; "))
        }
    }
}
