import Foundation

/// Encodes `Encodable` values as JSON, byte for byte what Foundation's `JSONEncoder` writes
/// with `[.sortedKeys, .withoutEscapingSlashes]` (compact) or with `.prettyPrinted` added
/// (tested side by side) — for the reason `JSONDecoding` gives.
public enum JSONEncoding {
    public enum Style: Sendable { case compact, pretty }

    public static func encode<T: Encodable>(_ value: T, style: Style = .compact) throws -> Data {
        let encoder = NodeEncoder(path: [])
        if T.self == Data.self || T.self == URL.self || T.self == JSONNode.self { try encoder.box(value) } else { try value.encode(to: encoder) }
        guard let out = encoder.slot else {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "Top-level \(T.self) did not encode any values."))
        }
        var printer = JSONPrinter(pretty: style == .pretty)
        printer.write(out, indent: 0)
        return Data(printer.bytes)
    }
}

/// What an encoder produced. Arrays and objects are references: a container handed out
/// keeps writing into its parent after the call that made it returned.
enum OutValue {
    case literal(String)   // a number, true, false or null, as printed
    case string(String)
    case array(OutArray)
    case object(OutObject)
}

final class OutArray { var items: [OutValue] = [] }
final class OutObject { var members: [String: OutValue] = [:] }

final class NodeEncoder: Encoder {
    let codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    var slot: OutValue?

    init(path: [CodingKey]) { codingPath = path }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let object: OutObject
        if case .object(let o)? = slot { object = o } else { object = OutObject(); slot = .object(object) }
        return KeyedEncodingContainer(KeyedOutContainer<Key>(object: object, codingPath: codingPath))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        let array: OutArray
        if case .array(let a)? = slot { array = a } else { array = OutArray(); slot = .array(array) }
        return UnkeyedOutContainer(array: array, codingPath: codingPath)
    }

    func singleValueContainer() -> SingleValueEncodingContainer { SingleOutContainer(encoder: self) }

    func box<T: Encodable>(_ value: T) throws {
        slot = try NodeEncoder.value(value, path: codingPath)
    }

    /// One value as output; a value that encodes nothing is an empty object, as Foundation writes it.
    static func value<T: Encodable>(_ value: T, path: [CodingKey]) throws -> OutValue {
        // A type comparison, not a dynamic cast per value (casts are what made JSONEncoder slow).
        if T.self == JSONNode.self { return (value as! JSONNode).output }
        if T.self == Data.self { return .string((value as! Data).base64EncodedString()) }
        if T.self == URL.self { return .string((value as! URL).absoluteString) }
        let child = NodeEncoder(path: path)
        try value.encode(to: child)
        return child.slot ?? .object(OutObject())
    }

    static func float<T: BinaryFloatingPoint & CustomStringConvertible>(_ v: T, path: [CodingKey]) throws -> OutValue {
        guard v.isFinite else {
            throw EncodingError.invalidValue(v, .init(codingPath: path, debugDescription: "Unable to encode \(T.self).\(v) directly in JSON."))
        }
        var text = v.description
        if text.hasSuffix(".0") { text.removeLast(2) }   // 3.0 is written 3
        return .literal(text)
    }
}

struct KeyedOutContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let object: OutObject
    let codingPath: [CodingKey]

    private func put(_ v: OutValue, _ key: Key) { object.members[key.stringValue] = v }

    mutating func encodeNil(forKey key: Key) { put(.literal("null"), key) }
    mutating func encode(_ value: Bool, forKey key: Key) { put(.literal(value ? "true" : "false"), key) }
    mutating func encode(_ value: String, forKey key: Key) { put(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { put(try NodeEncoder.float(value, path: codingPath + [key]), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { put(try NodeEncoder.float(value, path: codingPath + [key]), key) }
    mutating func encode(_ value: Int, forKey key: Key) { put(.literal(String(value)), key) }
    mutating func encode(_ value: Int8, forKey key: Key) { put(.literal(String(value)), key) }
    mutating func encode(_ value: Int16, forKey key: Key) { put(.literal(String(value)), key) }
    mutating func encode(_ value: Int32, forKey key: Key) { put(.literal(String(value)), key) }
    mutating func encode(_ value: Int64, forKey key: Key) { put(.literal(String(value)), key) }
    mutating func encode(_ value: UInt, forKey key: Key) { put(.literal(String(value)), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) { put(.literal(String(value)), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) { put(.literal(String(value)), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) { put(.literal(String(value)), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) { put(.literal(String(value)), key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { put(try NodeEncoder.value(value, path: codingPath + [key]), key) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let o = OutObject()
        put(.object(o), key)
        return KeyedEncodingContainer(KeyedOutContainer<NestedKey>(object: o, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
        let a = OutArray()
        put(.array(a), key)
        return UnkeyedOutContainer(array: a, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> Encoder {
        let o = object
        return MemberEncoder(path: codingPath + [SuperKey()]) { o.members["super"] = $0 }
    }
    mutating func superEncoder(forKey key: Key) -> Encoder {
        let o = object, name = key.stringValue
        return MemberEncoder(path: codingPath + [key]) { o.members[name] = $0 }
    }
}

/// The scalar overloads an unkeyed and a single-value container both must have: each value
/// becomes its output and goes to `put` (appended, or the encoder's one value).
protocol ScalarOut {
    func put(_ v: OutValue)
    /// The coding path of the value being put (for a non-finite number's error).
    var nextPath: [CodingKey] { get }
}

extension ScalarOut {
    mutating func encodeNil() { put(.literal("null")) }
    mutating func encode(_ value: Bool) { put(.literal(value ? "true" : "false")) }
    mutating func encode(_ value: String) { put(.string(value)) }
    mutating func encode(_ value: Double) throws { put(try NodeEncoder.float(value, path: nextPath)) }
    mutating func encode(_ value: Float) throws { put(try NodeEncoder.float(value, path: nextPath)) }
    mutating func encode(_ value: Int) { put(.literal(String(value))) }
    mutating func encode(_ value: Int8) { put(.literal(String(value))) }
    mutating func encode(_ value: Int16) { put(.literal(String(value))) }
    mutating func encode(_ value: Int32) { put(.literal(String(value))) }
    mutating func encode(_ value: Int64) { put(.literal(String(value))) }
    mutating func encode(_ value: UInt) { put(.literal(String(value))) }
    mutating func encode(_ value: UInt8) { put(.literal(String(value))) }
    mutating func encode(_ value: UInt16) { put(.literal(String(value))) }
    mutating func encode(_ value: UInt32) { put(.literal(String(value))) }
    mutating func encode(_ value: UInt64) { put(.literal(String(value))) }
}

struct UnkeyedOutContainer: UnkeyedEncodingContainer, ScalarOut {
    let array: OutArray
    let codingPath: [CodingKey]
    var count: Int { array.items.count }

    func put(_ v: OutValue) { array.items.append(v) }
    var nextPath: [CodingKey] { codingPath + [IndexKey(array.items.count)] }

    mutating func encode<T: Encodable>(_ value: T) throws { put(try NodeEncoder.value(value, path: nextPath)) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let o = OutObject()
        let path = nextPath
        put(.object(o))
        return KeyedEncodingContainer(KeyedOutContainer<NestedKey>(object: o, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
        let a = OutArray()
        let path = nextPath
        put(.array(a))
        return UnkeyedOutContainer(array: a, codingPath: path)
    }

    mutating func superEncoder() -> Encoder {
        let a = array, index = a.items.count, path = nextPath
        a.items.append(.literal("null"))
        return MemberEncoder(path: path) { a.items[index] = $0 }
    }
}

struct SingleOutContainer: SingleValueEncodingContainer, ScalarOut {
    let encoder: NodeEncoder
    var codingPath: [CodingKey] { encoder.codingPath }

    func put(_ v: OutValue) { encoder.slot = v }
    var nextPath: [CodingKey] { codingPath }

    mutating func encode<T: Encodable>(_ value: T) throws { try encoder.box(value) }
}

/// `superEncoder`'s encoder: what it encodes is stored in its slot of the parent when it
/// goes (an empty object until then, as Foundation leaves it).
final class MemberEncoder: Encoder {
    let inner: NodeEncoder
    let store: (OutValue) -> Void
    var codingPath: [CodingKey] { inner.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(path: [CodingKey], store: @escaping (OutValue) -> Void) {
        inner = NodeEncoder(path: path); self.store = store
        store(.object(OutObject()))
    }

    deinit { if let v = inner.slot { store(v) } }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> { inner.container(keyedBy: type) }
    func unkeyedContainer() -> UnkeyedEncodingContainer { inner.unkeyedContainer() }
    func singleValueContainer() -> SingleValueEncodingContainer { inner.singleValueContainer() }
}

/// Prints as Foundation's `JSONEncoder` does: keys sorted by `<`; pretty output indented by
/// two spaces with "key" : value; an empty array or object opened and closed on lines
/// of their own; `/` not escaped; other escapes as \n, \t, … or \u00xx.
struct JSONPrinter {
    let pretty: Bool
    var bytes: [UInt8] = []

    init(pretty: Bool) { self.pretty = pretty; bytes.reserveCapacity(1024) }

    mutating func write(_ v: OutValue, indent: Int) {
        switch v {
        case .literal(let s): bytes.append(contentsOf: s.utf8)
        case .string(let s): quote(s)
        case .array(let a):
            bytes.append(UInt8(ascii: "["))
            for (i, item) in a.items.enumerated() {
                separate(first: i == 0, indent: indent + 2)
                write(item, indent: indent + 2)
            }
            close(UInt8(ascii: "]"), indent: indent, empty: a.items.isEmpty)
        case .object(let o):
            bytes.append(UInt8(ascii: "{"))
            for (i, key) in o.members.keys.sorted().enumerated() {
                separate(first: i == 0, indent: indent + 2)
                quote(key)
                bytes.append(contentsOf: pretty ? Array(" : ".utf8) : [UInt8(ascii: ":")])
                write(o.members[key]!, indent: indent + 2)
            }
            close(UInt8(ascii: "}"), indent: indent, empty: o.members.isEmpty)
        }
    }

    private mutating func separate(first: Bool, indent: Int) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        if pretty { newline(indent) }
    }

    private mutating func close(_ bracket: UInt8, indent: Int, empty: Bool) {
        if pretty {
            if empty { bytes.append(0x0A) }
            newline(indent)
        }
        bytes.append(bracket)
    }

    private mutating func newline(_ indent: Int) {
        bytes.append(0x0A)
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent))
    }

    private mutating func quote(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), b])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), b])
            case 0x08: bytes.append(contentsOf: Array("\\b".utf8))
            case 0x0C: bytes.append(contentsOf: Array("\\f".utf8))
            case 0x0A: bytes.append(contentsOf: Array("\\n".utf8))
            case 0x0D: bytes.append(contentsOf: Array("\\r".utf8))
            case 0x09: bytes.append(contentsOf: Array("\\t".utf8))
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(hex[Int(b >> 4)])
                bytes.append(hex[Int(b & 0xF)])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
