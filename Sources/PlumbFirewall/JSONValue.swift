import Foundation
import PlumbJSON
import PlumbTypes

/// Any JSON value, decoded with types kept (an integer stays an integer), so the nft
/// listing can be walked without Foundation's untyped `Any` and printed back canonically.
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The nft listing, parsed by `JSONDecoding` (the one JSON parser): one pass, numbers
    /// kept as integers where they are — seconds were spent on a table of thousands of
    /// rules when each value was tried as every type in turn through `Decodable`.
    static func parse(_ text: String) throws -> JSONValue {
        do { return JSONValue(try JSONDecoding.parse(Data(text.utf8))) } catch {
            throw JSONParseError(description: describeDecoding(error))
        }
    }

    init(_ node: JSONNode) {
        switch node {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .number(let text): self = Int(text).map { .int($0) } ?? .double(Double(text) ?? .nan)
        case .string(let s): self = .string(s)
        case .array(let a): self = .array(a.map(JSONValue.init))
        case .object(let o): self = .object(o.members.mapValues(JSONValue.init))
        }
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    var string: String? { if case .string(let s) = self { return s }; return nil }
    var int: Int? { if case .int(let i) = self { return i }; return nil }
    var array: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    var object: [String: JSONValue]? { if case .object(let o) = self { return o }; return nil }

    /// The single key and value of `{"key": value}`, the shape of every nft expression.
    var onlyEntry: (key: String, value: JSONValue)? {
        guard let o = object, o.count == 1, let e = o.first else { return nil }
        return (e.key, e.value)
    }

    /// Compact JSON with sorted keys: the same value always prints the same.
    var canonical: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return JSONValue.quote(s)
        case .array(let a): return "[" + a.map(\.canonical).joined(separator: ",") + "]"
        case .object(let o):
            return "{" + o.keys.sorted().map { "\(JSONValue.quote($0)):\(o[$0]!.canonical)" }
                .joined(separator: ",") + "}"
        }
    }

    private static func quote(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out + "\""
    }
}

struct JSONParseError: Error, CustomStringConvertible {
    var description: String
}
