/// One parsed JSON value. Numbers keep the literal as written, so each is converted once,
/// exactly, to the type a `Decodable` asks for (an Int stays exact past 2^53).
public enum JSONNode: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONNode])
    case object(JSONObject)

    /// What a type-mismatch error says was found instead.
    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "dictionary"
        }
    }

    public subscript(key: String) -> JSONNode? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var string: String? { if case .string(let s) = self { return s }; return nil }
}

/// A JSON object: its members by key, and the keys in the order the document has them.
public struct JSONObject: Sendable, Equatable {
    public private(set) var keys: [String] = []
    public private(set) var members: [String: JSONNode] = [:]

    public init() {}

    public subscript(key: String) -> JSONNode? { members[key] }

    /// The same members, in whatever order: JSON objects are unordered (RFC 8259 §4).
    public static func == (a: JSONObject, b: JSONObject) -> Bool { a.members == b.members }

    /// False when the key is there already: the parser refuses a document that names a
    /// member twice (which one counts differs between parsers, so neither is guessed).
    mutating func insert(_ key: String, _ value: JSONNode) -> Bool {
        guard members.updateValue(value, forKey: key) == nil else { return false }
        keys.append(key)
        return true
    }
}
