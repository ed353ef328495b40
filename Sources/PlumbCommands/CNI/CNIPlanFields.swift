import Foundation
import PlumbEngine

/// A plan error of a CNI call, said in CNI's terms: the engine names the place in the
/// layer it was handed (`containers[0].interfaces[0].name`), which a CNI user never wrote —
/// the field that says it is CNI_IFNAME, `bridge.name`, `runtimeConfig.portMappings[1]`.
enum CNIPlanFields {
    /// Layer paths and the CNI field each comes from, first match wins.
    static let fields: [(pattern: String, field: String)] = [
        (#"^containers\[\d+\]\.interfaces\[\d+\]\.name"#, "CNI_IFNAME"),
        (#"^containers\[\d+\]\.interfaces\[\d+\]\.mac"#, "runtimeConfig.mac"),
        (#"^containers\[\d+\]\.interfaces\[\d+\]\.addresses(\[\d+\])?"#, "the IPAM result's ips"),
        (#"^containers\[\d+\]\.interfaces\[\d+\]\.mtu"#, "mtu"),
        (#"^containers\[\d+\]\.interfaces\[\d+\]\.veth\.bridge"#, "bridge.name"),
        (#"^containers\[\d+\]\.interfaces\[\d+\]\.(macvlan|ipvlan|vlan)\.parent"#, "master"),
        (#"^containers\[\d+\]\.interfaces\[\d+\]\.vlan\.id"#, "vlanId"),
        (#"^containers\[\d+\]\.interfaces\[\d+\]"#, "CNI_IFNAME"),
        (#"^containers\[\d+\]\.netns"#, "CNI_NETNS"),
        (#"^containers\[\d+\]\.ports\[(\d+)\]\.host"#, "runtimeConfig.portMappings[$1].hostPort"),
        (#"^containers\[\d+\]\.ports\[(\d+)\]\.container"#, "runtimeConfig.portMappings[$1].containerPort"),
        (#"^containers\[\d+\]\.ports\[(\d+)\]"#, "runtimeConfig.portMappings[$1]"),
        (#"^containers\[\d+\]\.routes(\[\d+\])?"#, "the IPAM result's routes"),
        (#"^containers\[\d+\]"#, "CNI_CONTAINERID"),
        (#"^bridges\[\d+\]\.name"#, "bridge.name"),
        (#"^bridges\[\d+\]\.addresses(\[\d+\])?"#, "the IPAM result's gateway"),
        (#"^bridges\[\d+\]\.mtu"#, "bridge.mtu"),
        (#"^bridges\[\d+\]"#, "bridge"),
        (#"^nics\[\d+\]"#, "deviceID's PF"),
    ]

    /// `e` with its path as the CNI field and its advice in CNI's words.
    static func said(_ e: PlanError) -> String {
        var path = e.path
        for (pattern, field) in fields {
            guard let re = try? NSRegularExpression(pattern: pattern),
                  let m = re.firstMatch(in: path, range: NSRange(path.startIndex..., in: path)) else { continue }
            path = re.replacementString(for: m, in: path, offset: 0, template: field)
                + String(path[Range(m.range, in: path)!.upperBound...])
            break
        }
        let message = e.message
            .replacingOccurrences(of: "rename it in the manifest or remove it", with: "choose another name or remove it")
            .replacingOccurrences(of: "rename it in the manifest", with: "choose another name")
            .replacingOccurrences(of: "in the manifest", with: "in the configuration")
        return path.isEmpty ? message : "\(path): \(message)"
    }

    static func said(_ errors: PlanErrors) -> String { errors.errors.map(said).joined(separator: "\n") }
}
