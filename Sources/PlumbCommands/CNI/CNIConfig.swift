import Foundation
import PlumbTypes

/// The network configuration on stdin. Two kinds:
///   a bridge network: `"bridge": {"name": "cni-br0", "masquerade": true}` + `ipam`
///   a VF (as the SR-IOV device plugin hands it over): `"vf": {"deviceID": "0000:01:10.0", "vlan": 12, …}` + `ipam`
struct CNIConfig: Decodable {
    struct Bridge: Decodable { var name: String; var masquerade: Bool?; var mtu: Int? }
    struct VF: Decodable {
        var deviceID: String
        var vlan: Int?; var qos: Int?; var mac: String?; var spoofCheck: Bool?; var trust: Bool?; var maxTxRate: Int?
    }
    struct Attachment: Decodable { var containerID: String; var ifname: String }

    var cniVersion: String
    var name: String
    var type: String
    var bridge: Bridge?
    var vf: VF?
    var mtu: Int?
    var ipam: [String: JSONValue]?
    var prevResult: JSONValue?
    var validAttachments: [Attachment]?

    enum CodingKeys: String, CodingKey {
        case cniVersion, name, type, bridge, vf, mtu, ipam, prevResult
        case validAttachments = "cni.dev/valid-attachments"
    }

    static let knownKeys: Set<String> = ["cniVersion", "name", "type", "bridge", "vf", "mtu", "ipam", "prevResult",
                                         "cni.dev/valid-attachments", "runtimeConfig", "args", "capabilities", "dns", "disableCheck", "disableGC"]

    static func parse(_ data: Data) throws -> CNIConfig {
        let c: CNIConfig
        do { c = try JSONDecoder().decode(CNIConfig.self, from: data) } catch {
            throw CNIError(CNIError.decodeFailure, "cannot decode the network configuration", details: "\(error)")
        }
        if let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            let unknown = Set(obj.keys).subtracting(knownKeys)
            if !unknown.isEmpty {
                throw CNIError(CNIError.invalidConfig, "unknown keys in the network configuration: \(unknown.sorted().joined(separator: ", "))", version: c.cniVersion)
            }
        }
        guard CNIVersions.supported.contains(c.cniVersion) else {
            throw CNIError(CNIError.incompatibleVersion, "cniVersion \(c.cniVersion) is not supported",
                           details: "supported: \(CNIVersions.supported.joined(separator: ", "))")
        }
        guard (c.bridge == nil) != (c.vf == nil) else {
            throw CNIError(CNIError.invalidConfig, "give exactly one of \"bridge\" or \"vf\"", version: c.cniVersion)
        }
        if let b = c.bridge, let why = InterfaceNames.problem(b.name) {
            throw CNIError(CNIError.invalidConfig, "bridge.name \"\(b.name.prefix(40))\" is not a valid interface name: \(why)", version: c.cniVersion)
        }
        if let m = c.mtu ?? c.bridge?.mtu, !(68...65535).contains(m) {
            throw CNIError(CNIError.invalidConfig, "mtu \(m) is out of range 68-65535", version: c.cniVersion)
        }
        return c
    }
}

/// Any JSON value, to pass `ipam` and `prevResult` through untouched.
enum JSONValue: Codable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): if n == n.rounded() && abs(n) < 1e15 { try c.encode(Int(n)) } else { try c.encode(n) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    var string: String? { if case .string(let s) = self { return s }; return nil }
}
