import Foundation

/// A CNI success result (SPEC.md "Success"), for every supported version:
/// `ips[].version` exists only before 1.0.0.
struct CNIResult: Codable {
    struct Interface: Codable { var name: String; var mac: String?; var mtu: Int?; var sandbox: String? }
    struct IP: Codable { var version: String?; var address: String; var gateway: String?; var interface: Int? }
    struct Route: Codable { var dst: String; var gw: String? }
    struct DNS: Codable { var nameservers: [String]?; var domain: String?; var search: [String]?; var options: [String]? }

    var cniVersion: String
    var interfaces: [Interface]?
    var ips: [IP]?
    var routes: [Route]?
    var dns: DNS?

    func encoded(as version: String) -> Data {
        var r = self
        r.cniVersion = version
        let old = version.hasPrefix("0.")
        r.ips = ips?.map { ip in
            var ip = ip
            ip.version = old ? (ip.address.contains(":") ? "6" : "4") : nil
            return ip
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? enc.encode(r)) ?? Data()
    }
}
