import Foundation
import PlumbManifest
import PlumbTypes

/// `"kind": "macvlan" | "ipvlan" | "vlan"`: an attachment made on a host link, with the
/// reference plugins' fields at the top level, so a configuration written for the
/// `macvlan`, `ipvlan` or `vlan` plugin works with `"type": "plumb"` and the kind key:
///   macvlan: `master`, `mode` (bridge | private | vepa | passthru; default bridge), `mtu`
///   ipvlan:  `master`, `mode` (l2 | l3 | l3s; default l2), `mtu`
///   vlan:    `master`, `vlanId` (1-4094), `mtu`
/// `linkInContainer` (the master inside the container) is refused: not supported here.
enum CNILower {
    static let keys: Set<String> = ["kind", "master", "mode", "vlanId", "linkInContainer"]

    /// The interface kind a configuration's `kind` asks for; nil without `kind`.
    static func kind(_ f: CNIFields) throws -> Interface.Kind? {
        guard let kind = try f.choice("kind", ["macvlan", "ipvlan", "vlan"]) else {
            for key in ["master", "mode", "vlanId", "linkInContainer"] where f.has(key) {
                throw f.invalid(key, "belongs to a \"kind\": macvlan, ipvlan or vlan attachment")
            }
            return nil
        }
        guard let master = try f.string("master") else { throw f.invalid("master", "is required for kind \(kind)") }
        if let why = InterfaceNames.problem(master) { throw f.invalid("master", "\"\(master.prefix(40))\" is not a valid interface name: \(why)") }
        if case .bool(true)? = f.object["linkInContainer"] {
            throw CNIError(CNIError.unsupportedField, "linkInContainer: a master inside the container is not supported; give a host link", version: f.version)
        }
        switch kind {
        case "macvlan":
            if f.has("vlanId") { throw f.invalid("vlanId", "belongs to kind vlan") }
            let mode = try f.choice("mode", MacvlanMode.names).flatMap(MacvlanMode.init(rawValue:)) ?? .bridge
            return .macvlan(parent: master, mode: mode)
        case "ipvlan":
            if f.has("vlanId") { throw f.invalid("vlanId", "belongs to kind vlan") }
            let mode = try f.choice("mode", IpvlanMode.names).flatMap(IpvlanMode.init(rawValue:)) ?? .l2
            return .ipvlan(parent: master, mode: mode, flag: .bridge)
        default:
            if f.has("mode") { throw f.invalid("mode", "belongs to kinds macvlan and ipvlan") }
            guard let id = try f.int("vlanId", in: 1...4094) else { throw f.invalid("vlanId", "is required for kind vlan") }
            return .vlan(parent: master, id: id, protocol: .dot1q)
        }
    }
}
