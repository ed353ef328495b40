import Foundation
import PlumbJSON

/// Typed reads of a configuration object's fields, each error naming the field as the user
/// wrote it (`vlan`, `runtimeConfig.portMappings[1].hostPort`): a decoder's coding path is
/// not something a NetworkAttachmentDefinition's author can act on.
struct CNIFields {
    let object: [String: JSONNode]
    /// The prefix to name fields with: "" at the top, "runtimeConfig." inside it.
    let path: String
    let version: String

    func has(_ key: String) -> Bool { object[key] != nil && object[key] != .null }

    func invalid(_ key: String, _ why: String) -> CNIError {
        CNIError(CNIError.invalidConfig, "\(path)\(key): \(why)", version: version)
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let v = object[key], v != .null else { return nil }
        guard case .number(let text) = v, let n = Double(text), n == n.rounded(), abs(n) < 1e15 else { throw invalid(key, "must be an integer") }
        guard range.contains(Int(n)) else { throw invalid(key, "\(Int(n)) is out of range \(range.lowerBound)-\(range.upperBound)") }
        return Int(n)
    }

    func string(_ key: String) throws -> String? {
        guard let v = object[key], v != .null else { return nil }
        guard case .string(let s) = v else { throw invalid(key, "must be a string") }
        return s
    }

    /// One of `allowed`, compared without case as sriov-cni does; returned lower-cased.
    func choice(_ key: String, _ allowed: [String]) throws -> String? {
        guard let s = try string(key) else { return nil }
        guard allowed.contains(s.lowercased()) else {
            throw invalid(key, "\"\(s.prefix(40))\" is not one of \(allowed.map { "\"\($0)\"" }.joined(separator: ", "))")
        }
        return s.lowercased()
    }

    /// sriov-cni's switches are the strings "on" and "off", not JSON booleans.
    func onOff(_ key: String) throws -> Bool? {
        try choice(key, ["on", "off"]).map { $0 == "on" }
    }

    func list(_ key: String) throws -> [JSONNode]? {
        guard let v = object[key], v != .null else { return nil }
        guard case .array(let a) = v else { throw invalid(key, "must be a list") }
        return a
    }

    func nested(_ key: String) throws -> CNIFields? {
        guard let v = object[key], v != .null else { return nil }
        guard case .object(let o) = v else { throw invalid(key, "must be an object") }
        return CNIFields(object: o.members, path: "\(path)\(key).", version: version)
    }
}
