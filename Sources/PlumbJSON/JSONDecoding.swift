import Foundation

/// Decodes `Decodable` values from JSON — what Plumb reads on every CNI call and from every
/// record. Foundation's `JSONDecoder` resolves its generic types at run time by demangling
/// names and scanning every protocol conformance in the binary, once per process; a CNI
/// call is a new process each time, and that cost was a quarter of its CPU (README,
/// "CNI"). This decoder is compiled with Plumb's modules, so its generic types are reached
/// directly. Same results as `JSONDecoder` for valid JSON (tested side by side), stricter
/// input (`JSONParser`), errors naming the line and column.
public enum JSONDecoding {
    /// The document as a tree, or a `DecodingError.dataCorrupted` naming where it is not JSON.
    public static func parse(_ data: Data) throws -> JSONNode {
        try data.withUnsafeBytes { raw in
            var parser = JSONParser(raw.bindMemory(to: UInt8.self))
            do { return try parser.document() } catch let e as JSONSyntaxError {
                throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "not valid JSON: \(e)", underlyingError: e))
            }
        }
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try decode(type, from: try parse(data))
    }

    public static func decode<T: Decodable>(_ type: T.Type, from node: JSONNode) throws -> T {
        try NodeDecoder(node, path: []).unbox(type)
    }
}

/// The coding key of an array element, named as Foundation names it ("Index 3").
struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { return nil }
    init?(intValue: Int) { self.intValue = intValue }
}

/// The key `superDecoder()` uses.
struct SuperKey: CodingKey {
    var stringValue: String { "super" }
    var intValue: Int? { nil }
    init() {}
    init?(stringValue: String) { guard stringValue == "super" else { return nil } }
    init?(intValue: Int) { return nil }
}

struct NodeDecoder: Decoder {
    let node: JSONNode
    let codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ node: JSONNode, path: [CodingKey]) { self.node = node; codingPath = path }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let o) = node else { throw mismatch([String: Any].self) }
        return KeyedDecodingContainer(KeyedNodeContainer<Key>(object: o, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        guard case .array(let a) = node else { throw mismatch([Any].self) }
        return UnkeyedNodeContainer(items: a, codingPath: codingPath)
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer { SingleNodeContainer(decoder: self) }

    // MARK: conversions, shared by the three containers

    func mismatch(_ type: Any.Type) -> DecodingError {
        if node == .null {
            return .valueNotFound(type, .init(codingPath: codingPath, debugDescription: "Cannot get value of type \(type) -- found null value instead"))
        }
        return .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "Expected to decode \(type) but found \(node.kindName) instead."))
    }

    func unbox(_ type: Bool.Type) throws -> Bool {
        guard case .bool(let b) = node else { throw mismatch(type) }
        return b
    }

    func unbox(_ type: String.Type) throws -> String {
        guard case .string(let s) = node else { throw mismatch(type) }
        return s
    }

    /// Exact or refused: 1.0 and 1e2 are integers, 1.5 and 300 (as UInt8) are not.
    func unboxInteger<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        guard case .number(let text) = node else { throw mismatch(type) }
        if let v = T(text, radix: 10) { return v }
        if text.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }),
           let d = Double(text), let v = T(exactly: d) {
            return v
        }
        throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "Parsed JSON number <\(text)> does not fit in \(T.self)."))
    }

    func unboxFloat<T: BinaryFloatingPoint & LosslessStringConvertible>(_ type: T.Type) throws -> T {
        guard case .number(let text) = node else { throw mismatch(type) }
        guard let v = T(text), v.isFinite else {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "Parsed JSON number <\(text)> does not fit in \(T.self)."))
        }
        return v
    }

    /// Foundation's default strategies for its own types: Data as base64, URL as a string.
    func unbox<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == JSONNode.self { return node as! T }
        if T.self == Data.self {
            guard let d = Data(base64Encoded: try unbox(String.self)) else {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "Encountered Data is not valid Base64."))
            }
            return d as! T
        }
        if T.self == URL.self {
            guard let u = URL(string: try unbox(String.self)) else {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "Invalid URL string."))
            }
            return u as! T
        }
        return try T(from: self)
    }
}

struct KeyedNodeContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: JSONObject
    let codingPath: [CodingKey]

    var allKeys: [Key] { object.keys.compactMap { Key(stringValue: $0) } }
    func contains(_ key: Key) -> Bool { object[key.stringValue] != nil }

    private func member(_ key: Key) throws -> NodeDecoder {
        guard let v = object[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath,
                                                       debugDescription: "No value associated with key \(key) (\"\(key.stringValue)\")."))
        }
        return NodeDecoder(v, path: codingPath + [key])
    }

    func decodeNil(forKey key: Key) throws -> Bool { try member(key).node == .null }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try member(key).unbox(type) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try member(key).unbox(type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try member(key).unboxFloat(type) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try member(key).unboxFloat(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try member(key).unboxInteger(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try member(key).unboxInteger(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try member(key).unboxInteger(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try member(key).unboxInteger(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try member(key).unboxInteger(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try member(key).unboxInteger(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try member(key).unboxInteger(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try member(key).unboxInteger(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try member(key).unboxInteger(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try member(key).unboxInteger(type) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try member(key).unbox(type) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try member(key).container(keyedBy: type)
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer { try member(key).unkeyedContainer() }
    func superDecoder() throws -> Decoder { NodeDecoder(object["super"] ?? .null, path: codingPath + [SuperKey()]) }
    func superDecoder(forKey key: Key) throws -> Decoder { NodeDecoder(object[key.stringValue] ?? .null, path: codingPath + [key]) }
}

struct UnkeyedNodeContainer: UnkeyedDecodingContainer {
    let items: [JSONNode]
    let codingPath: [CodingKey]
    private(set) var currentIndex = 0

    init(items: [JSONNode], codingPath: [CodingKey]) { self.items = items; self.codingPath = codingPath }

    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    /// The next element's decoder; the index moves on only when its decoding succeeds.
    private func next(_ type: Any.Type) throws -> NodeDecoder {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, .init(codingPath: codingPath + [IndexKey(currentIndex)], debugDescription: "Unkeyed container is at end."))
        }
        return NodeDecoder(items[currentIndex], path: codingPath + [IndexKey(currentIndex)])
    }

    private mutating func take<T>(_ body: (NodeDecoder) throws -> T) throws -> T {
        let v = try body(try next(T.self))
        currentIndex += 1
        return v
    }

    mutating func decodeNil() throws -> Bool {
        guard try next(Any?.self).node == .null else { return false }
        currentIndex += 1
        return true
    }
    mutating func decode(_ type: Bool.Type) throws -> Bool { try take { try $0.unbox(type) } }
    mutating func decode(_ type: String.Type) throws -> String { try take { try $0.unbox(type) } }
    mutating func decode(_ type: Double.Type) throws -> Double { try take { try $0.unboxFloat(type) } }
    mutating func decode(_ type: Float.Type) throws -> Float { try take { try $0.unboxFloat(type) } }
    mutating func decode(_ type: Int.Type) throws -> Int { try take { try $0.unboxInteger(type) } }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try take { try $0.unboxInteger(type) } }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try take { try $0.unboxInteger(type) } }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try take { try $0.unboxInteger(type) } }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try take { try $0.unboxInteger(type) } }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try take { try $0.unboxInteger(type) } }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try take { try $0.unboxInteger(type) } }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try take { try $0.unboxInteger(type) } }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try take { try $0.unboxInteger(type) } }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try take { try $0.unboxInteger(type) } }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try take { try $0.unbox(type) } }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try take { try $0.container(keyedBy: type) }
    }
    mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer { try take { try $0.unkeyedContainer() } }
    mutating func superDecoder() throws -> Decoder { try take { $0 } }
}

struct SingleNodeContainer: SingleValueDecodingContainer {
    let decoder: NodeDecoder
    var codingPath: [CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { decoder.node == .null }
    func decode(_ type: Bool.Type) throws -> Bool { try decoder.unbox(type) }
    func decode(_ type: String.Type) throws -> String { try decoder.unbox(type) }
    func decode(_ type: Double.Type) throws -> Double { try decoder.unboxFloat(type) }
    func decode(_ type: Float.Type) throws -> Float { try decoder.unboxFloat(type) }
    func decode(_ type: Int.Type) throws -> Int { try decoder.unboxInteger(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decoder.unboxInteger(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decoder.unboxInteger(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decoder.unboxInteger(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decoder.unboxInteger(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try decoder.unboxInteger(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decoder.unboxInteger(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decoder.unboxInteger(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decoder.unboxInteger(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decoder.unboxInteger(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.unbox(type) }
}
