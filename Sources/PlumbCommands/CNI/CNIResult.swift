import Foundation
import PlumbJSON
import PlumbManifest
import PlumbTypes

/// A CNI success result (SPEC.md "Success"), for every supported version:
/// `ips[].version` exists only before 1.0.0.
struct CNIResult: Codable {
    struct Interface: Codable {
        var name: String; var mac: String?; var mtu: Int?; var sandbox: String?
        /// The device's PCI address (spec 1.1.0): a VF's `deviceID`.
        var pciID: String? = nil
        /// A VF bound to a userspace driver (no netdev): its PCI address, the `deviceID` the
        /// DPDK program opens, and its IOMMU group's device node ("/dev/vfio/11").
        var deviceID: String? = nil
        var vfioDevice: String? = nil
    }
    struct IP: Codable { var version: String?; var address: String; var gateway: String?; var interface: Int? }
    struct Route: Codable { var dst: String; var gw: String? }
    struct DNS: Codable { var nameservers: [String]?; var domain: String?; var search: [String]?; var options: [String]? }

    var cniVersion: String
    var interfaces: [Interface]?
    var ips: [IP]?
    var routes: [Route]?
    var dns: DNS?

    /// The IPAM addresses as prefixes; an unparsable one is IPAM's fault.
    func prefixes() throws -> [IPPrefix] {
        try (ips ?? []).map { ip in
            guard let p = IPPrefix(ip.address) else { throw CNIError(CNIError.ipamFailed, "IPAM gave an invalid address \(ip.address)") }
            return p
        }
    }

    /// The IPAM routes; a route without `gw` goes via the gateway of its family.
    func manifestRoutes() -> [PlumbManifest.Route] {
        (routes ?? []).compactMap { r in
            guard let dst = IPPrefix(r.dst) else { return nil }
            let via = r.gw.flatMap(IPAddress.init) ?? ips?.compactMap { $0.gateway.flatMap(IPAddress.init) }.first { $0.family == dst.family }
            return PlumbManifest.Route(to: dst.network, via: via)
        }
    }

    /// As a plugin chained after another must answer: the previous result's
    /// interfaces, IPs and routes first, this plugin's after them (its IPs' interface
    /// indexes shifted past the previous interfaces).
    func chained(after prev: CNIResult?) -> CNIResult {
        guard let prev else { return self }
        var r = self
        let offset = prev.interfaces?.count ?? 0
        r.interfaces = (prev.interfaces ?? []) + (interfaces ?? [])
        r.ips = (prev.ips ?? []) + (ips ?? []).map { ip in
            var ip = ip
            ip.interface = ip.interface.map { $0 + offset }
            return ip
        }
        r.routes = (prev.routes ?? []) + (routes ?? [])
        r.dns = dns ?? prev.dns
        return r
    }

    func encoded(as version: String) -> Data {
        var r = self
        r.cniVersion = version
        let old = version.hasPrefix("0.")
        r.ips = ips?.map { ip in
            var ip = ip
            ip.version = old ? (ip.address.contains(":") ? "6" : "4") : nil
            return ip
        }
        return (try? JSONEncoding.encode(r, style: .pretty)) ?? Data()
    }
}
