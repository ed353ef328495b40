/// A JSONNode inside a `Codable` type (a CNI configuration's `ipam` and `prevResult`, kept
/// as they came): `JSONDecoding` hands the parsed node over as is and `JSONEncoding` prints
/// it as is. Any other decoder or encoder goes through the containers.
extension JSONNode: Codable {
    public init(from decoder: Decoder) throws {
        if let d = decoder as? NodeDecoder { self = d.node; return }
        if var a = try? decoder.unkeyedContainer() {
            var items: [JSONNode] = []
            while !a.isAtEnd { items.append(try a.decode(JSONNode.self)) }
            self = .array(items)
        } else if let o = try? JSONObject(from: decoder) {
            self = .object(o)
        } else {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null }
            else if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let i = try? c.decode(Int.self) { self = .number(String(i)) }
            else if let d = try? c.decode(Double.self) { self = .number(String(d)) }
            else { self = .string(try c.decode(String.self)) }
        }
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .null: var c = encoder.singleValueContainer(); try c.encodeNil()
        case .bool(let b): var c = encoder.singleValueContainer(); try c.encode(b)
        case .number(let n):
            var c = encoder.singleValueContainer()
            if let i = Int(n) { try c.encode(i) } else { try c.encode(Double(n) ?? 0) }
        case .string(let s): var c = encoder.singleValueContainer(); try c.encode(s)
        case .array(let a): var c = encoder.unkeyedContainer(); for v in a { try c.encode(v) }
        case .object(let o): try o.encode(to: encoder)
        }
    }

    /// The node as output, without a round through containers.
    var output: OutValue {
        switch self {
        case .null: return .literal("null")
        case .bool(let b): return .literal(b ? "true" : "false")
        case .number(let n): return .literal(n)
        case .string(let s): return .string(s)
        case .array(let a):
            let out = OutArray()
            out.items = a.map(\.output)
            return .array(out)
        case .object(let o):
            let out = OutObject()
            for (k, v) in o.members { out.members[k] = v.output }
            return .object(out)
        }
    }
}

extension JSONObject: Codable {
    public init(from decoder: Decoder) throws {
        if let d = decoder as? NodeDecoder {
            guard case .object(let o) = d.node else { throw d.mismatch([String: Any].self) }
            self = o
            return
        }
        let c = try decoder.container(keyedBy: AnyKey.self)
        self.init()
        for k in c.allKeys { _ = insert(k.stringValue, try c.decode(JSONNode.self, forKey: k)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: AnyKey.self)
        for k in keys { try c.encode(members[k]!, forKey: AnyKey(k)) }
    }
}

/// Any member name as a coding key.
struct AnyKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}
