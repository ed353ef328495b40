import Foundation
import PlumbJSON
import PlumbManifest
import PlumbTypes

/// The network configuration on stdin. Two kinds:
///   a bridge network: `"bridge": {"name": "cni-br0", "masquerade": true}` + `ipam`
///   a VF (as the SR-IOV device plugin hands it over), in Plumb's shape
///   `"vf": {"deviceID": "0000:01:10.0", "vlan": 12, …}` or in sriov-cni's, its keys at the
///   top level (`"deviceID": "0000:01:10.0", "vlan": 12, "spoofchk": "on"`, SRIOVCNIConfig).
/// The shape decides, not the plugin's name: Plumb installed as `sriov` reads both.
/// `runtimeConfig` (CNIRuntimeConfig) applies to both kinds.
struct CNIConfig: Decodable {
    struct Bridge: Decodable { var name: String; var masquerade: Bool?; var mtu: Int? }
    /// A VF attachment, whichever shape it came in.
    struct VF: Equatable {
        var deviceID: String
        var vlan: Int?; var qos: Int?; var vlanProto: VLANProtocol?; var mac: MACAddress?
        var spoofCheck: Bool?; var trust: Bool?; var maxTxRate: Int?; var minTxRate: Int?; var linkState: VFLinkState?
        /// A userspace driver to bind the VF to (Plumb's `vf` object only): a DPDK VF.
        var driver: VFUserspaceDriver? = nil
    }
    /// Plumb's own `vf` object.
    struct NestedVF: Decodable {
        var deviceID: String
        var vlan: Int?; var qos: Int?; var mac: String?; var spoofCheck: Bool?; var trust: Bool?; var maxTxRate: Int?
        var driver: String?
    }
    struct Attachment: Decodable { var containerID: String; var ifname: String }

    var cniVersion: String
    var name: String
    var type: String
    var bridge: Bridge?
    var nestedVF: NestedVF?
    var mtu: Int?
    /// Passed to the IPAM plugin as they came (`JSONNode` keeps every number as written).
    var ipam: JSONObject?
    var prevResult: JSONNode?
    var validAttachments: [Attachment]?
    /// Set by `parse` from either shape.
    var vf: VF? = nil
    /// A macvlan, ipvlan or VLAN attachment (`kind` and the reference plugins' fields), set by `parse`.
    var lower: Interface.Kind? = nil
    var runtime = CNIRuntimeConfig()

    enum CodingKeys: String, CodingKey {
        case cniVersion, name, type, bridge, mtu, ipam, prevResult
        case nestedVF = "vf"
        case validAttachments = "cni.dev/valid-attachments"
    }

    static let knownKeys: Set<String> = Set(["cniVersion", "name", "type", "bridge", "vf", "mtu", "ipam", "prevResult",
                                             "cni.dev/valid-attachments", "runtimeConfig", "args", "capabilities", "dns",
                                             "disableCheck", "disableGC"]).union(SRIOVCNIConfig.keys).union(CNILower.keys)

    static func parse(_ data: Data) throws -> CNIConfig {
        var c: CNIConfig
        let obj: [String: JSONNode]
        do {
            let node = try JSONDecoding.parse(data)
            guard case .object(let o) = node else {
                throw CNIError(CNIError.decodeFailure, "the network configuration is not a JSON object")
            }
            c = try JSONDecoding.decode(CNIConfig.self, from: node)
            obj = o.members
        } catch let e as CNIError {
            throw e
        } catch {
            throw CNIError(CNIError.decodeFailure, "cannot decode the network configuration", details: describeDecoding(error))
        }
        let unknown = Set(obj.keys).subtracting(knownKeys)
        if !unknown.isEmpty {
            throw CNIError(CNIError.invalidConfig, "unknown keys in the network configuration: \(unknown.sorted().joined(separator: ", "))", version: c.cniVersion)
        }
        guard CNIVersions.supported.contains(c.cniVersion) else {
            throw CNIError(CNIError.incompatibleVersion, "cniVersion \(c.cniVersion) is not supported",
                           details: "supported: \(CNIVersions.supported.joined(separator: ", "))")
        }
        let fields = CNIFields(object: obj, path: "", version: c.cniVersion)
        c.runtime = try CNIRuntimeConfig.parse(fields)
        c.lower = try CNILower.kind(fields)
        if c.lower != nil, c.nestedVF != nil || SRIOVCNIConfig.isUsed(fields) {
            throw CNIError(CNIError.invalidConfig, "a \"kind\" attachment takes no VF (\"vf\", or sriov-cni's keys deviceID, vlan, mac, …)", version: c.cniVersion)
        }
        c.vf = c.lower == nil ? try vf(c, fields) : nil
        try validate(c)
        return c
    }

    /// The VF from whichever shape holds it; nil for a bridge network.
    static func vf(_ c: CNIConfig, _ f: CNIFields) throws -> VF? {
        let sriov = SRIOVCNIConfig.isUsed(f)
        if let n = c.nestedVF {
            if sriov { throw CNIError(CNIError.invalidConfig, "give the VF either as \"vf\" or in sriov-cni's keys (deviceID, vlan, …), not both", version: c.cniVersion) }
            let mac = try n.mac.map { try CNIRuntimeConfig.unicastMAC($0, field: "vf.mac", f) }
            let driver = try n.driver.map { d -> VFUserspaceDriver in
                guard let v = VFUserspaceDriver(rawValue: d) else {
                    throw CNIError(CNIError.invalidConfig, "vf.driver: \"\(d.prefix(40))\" is not a userspace VF driver (vfio-pci)", version: c.cniVersion)
                }
                return v
            }
            return VF(deviceID: n.deviceID, vlan: n.vlan, qos: n.qos, mac: mac, spoofCheck: n.spoofCheck, trust: n.trust, maxTxRate: n.maxTxRate,
                      driver: driver)
        }
        guard c.bridge == nil else {
            if sriov { throw CNIError(CNIError.invalidConfig, "a bridge network takes none of sriov-cni's VF keys (deviceID, vlan, mac, …)", version: c.cniVersion) }
            return nil
        }
        guard sriov || c.runtime.deviceID != nil || c.type == "sriov" else { return nil }
        return try SRIOVCNIConfig.vf(f, runtimeDeviceID: c.runtime.deviceID)
    }

    static func validate(_ c: CNIConfig) throws {
        guard [c.bridge != nil, c.vf != nil, c.lower != nil].filter({ $0 }).count == 1 else {
            throw CNIError(CNIError.invalidConfig, "give exactly one of \"bridge\", a VF (\"vf\", or sriov-cni's \"deviceID\") or a \"kind\" (macvlan, ipvlan, vlan)", version: c.cniVersion)
        }
        if let b = c.bridge, let why = InterfaceNames.problem(b.name) {
            throw CNIError(CNIError.invalidConfig, "bridge.name \"\(b.name.prefix(40))\" is not a valid interface name: \(why)", version: c.cniVersion)
        }
        if let m = c.mtu ?? c.bridge?.mtu, !(68...65535).contains(m) {
            throw CNIError(CNIError.invalidConfig, "mtu \(m) is out of range 68-65535", version: c.cniVersion)
        }
        if let d = c.vf?.driver, c.mtu != nil {
            throw CNIError(CNIError.invalidConfig, "mtu: a VF bound to \(d.rawValue) has no netdev to set it on", version: c.cniVersion)
        }
        if c.lower != nil, !c.runtime.portMappings.isEmpty {
            throw CNIError(CNIError.unsupportedField, "runtimeConfig.portMappings: ports are published to a bridge network's containers",
                           version: c.cniVersion)
        }
        if case .ipvlan? = c.lower, c.runtime.mac != nil {
            throw CNIError(CNIError.invalidConfig, "runtimeConfig.mac: an ipvlan has its master's MAC", version: c.cniVersion)
        }
        if c.vf != nil, !c.runtime.portMappings.isEmpty {
            throw CNIError(CNIError.unsupportedField, "runtimeConfig.portMappings: ports are published to a bridge network's containers; a VF's traffic never passes the host's nftables",
                           version: c.cniVersion)
        }
    }
}
