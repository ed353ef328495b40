/// Where and why a document is not JSON (RFC 8259). Lines and columns count from 1;
/// a column counts bytes.
public struct JSONSyntaxError: Error, Sendable, CustomStringConvertible {
    public let line: Int
    public let column: Int
    public let reason: String
    public var description: String { "line \(line), column \(column): \(reason)" }
}

/// A single-pass parser over UTF-8 bytes. Strict: no trailing commas, no comments, no
/// member named twice, no lone surrogate, no raw control character in a string, valid
/// UTF-8 only — input Plumb acts on as root is either exactly JSON or refused.
struct JSONParser {
    /// Deeper nesting than this is refused, not recursed into (a hostile input must not
    /// overflow the stack).
    static let maxDepth = 256

    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    var depth = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// The whole document: one value, whitespace around it, nothing else.
    mutating func document() throws -> JSONNode {
        skipSpace()
        let value = try self.value()
        skipSpace()
        guard index == bytes.count else { throw error("unexpected characters after the JSON value") }
        return value
    }

    mutating func value() throws -> JSONNode {
        guard index < bytes.count else { throw error("unexpected end of input, a value expected") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try nested { try $0.object() }
        case UInt8(ascii: "["): return try nested { try $0.array() }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw error("unexpected character \(printable(bytes[index])), a value expected")
        }
    }

    private mutating func nested(_ body: (inout JSONParser) throws -> JSONNode) throws -> JSONNode {
        depth += 1
        defer { depth -= 1 }
        guard depth <= JSONParser.maxDepth else { throw error("nested more than \(JSONParser.maxDepth) levels deep") }
        return try body(&self)
    }

    private mutating func object() throws -> JSONNode {
        index += 1   // {
        var object = JSONObject()
        skipSpace()
        if peek(UInt8(ascii: "}")) { index += 1; return .object(object) }
        while true {
            skipSpace()
            guard peek(UInt8(ascii: "\"")) else { throw error("a member name (a string) expected") }
            let keyStart = index
            let key = try string()
            skipSpace()
            try expect(UInt8(ascii: ":"), "':' expected after a member name")
            skipSpace()
            let member = try value()
            guard object.insert(key, member) else {
                index = keyStart
                throw error("member \"\(key.prefix(60))\" given twice")
            }
            skipSpace()
            if peek(UInt8(ascii: ",")) { index += 1; continue }
            try expect(UInt8(ascii: "}"), "',' or '}' expected")
            return .object(object)
        }
    }

    private mutating func array() throws -> JSONNode {
        index += 1   // [
        var items: [JSONNode] = []
        skipSpace()
        if peek(UInt8(ascii: "]")) { index += 1; return .array(items) }
        while true {
            skipSpace()
            items.append(try value())
            skipSpace()
            if peek(UInt8(ascii: ",")) { index += 1; continue }
            try expect(UInt8(ascii: "]"), "',' or ']' expected")
            return .array(items)
        }
    }

    /// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, returned as written.
    private mutating func number() throws -> String {
        let start = index
        if peek(UInt8(ascii: "-")) { index += 1 }
        if peek(UInt8(ascii: "0")) {
            index += 1
        } else {
            guard digits() > 0 else { throw error("a digit expected in a number") }
        }
        if peek(UInt8(ascii: ".")) {
            index += 1
            guard digits() > 0 else { throw error("a digit expected after a decimal point") }
        }
        if peek(UInt8(ascii: "e")) || peek(UInt8(ascii: "E")) {
            index += 1
            if peek(UInt8(ascii: "+")) || peek(UInt8(ascii: "-")) { index += 1 }
            guard digits() > 0 else { throw error("a digit expected in an exponent") }
        }
        if index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
            throw error("a number has no leading zeros")
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    }

    private mutating func digits() -> Int {
        let start = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        return index - start
    }

    /// A string: the common case (no escape) is one validated copy of the bytes.
    private mutating func string() throws -> String {
        index += 1   // "
        let start = index
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                let s = try text(start..<index)
                index += 1
                return s
            }
            if b == UInt8(ascii: "\\") { return try escapedString(from: start) }
            guard b >= 0x20 else { throw error("a control character (\(printable(b))) inside a string must be escaped") }
            index += 1
        }
        throw error("unterminated string")
    }

    private mutating func escapedString(from start: Int) throws -> String {
        var out = Array(bytes[start..<index])
        while index < bytes.count {
            let b = bytes[index]
            switch b {
            case UInt8(ascii: "\""):
                index += 1
                guard let s = String(validating: out, as: UTF8.self) else {
                    throw error("the string is not valid UTF-8")
                }
                return s
            case UInt8(ascii: "\\"):
                index += 1
                try escape(into: &out)
            case 0..<0x20:
                throw error("a control character (\(printable(b))) inside a string must be escaped")
            default:
                out.append(b)
                index += 1
            }
        }
        throw error("unterminated string")
    }

    private mutating func escape(into out: inout [UInt8]) throws {
        guard index < bytes.count else { throw error("unterminated string") }
        let c = bytes[index]
        index += 1
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(c)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800...0xDBFF).contains(scalar) {
                guard peek(UInt8(ascii: "\\")), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                    throw error("a \\u escape of a high surrogate must be followed by its low surrogate")
                }
                index += 2
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw error("\\u escape: a high surrogate without its low surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw error("\\u escape: a low surrogate without its high surrogate")
            }
            out.append(contentsOf: Array(String(Unicode.Scalar(scalar)!).utf8))
        default:
            index -= 2   // the error points at the backslash
            throw error("unknown escape \\\(printable(c))")
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("\\u escape needs four hex digits") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let d: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = b - UInt8(ascii: "A") + 10
            default: throw error("\\u escape needs four hex digits")
            }
            v = v << 4 | UInt32(d)
            index += 1
        }
        return v
    }

    private func text(_ range: Range<Int>) throws -> String {
        let slice = UnsafeBufferPointer(rebasing: bytes[range])
        guard let s = String(validating: slice, as: UTF8.self) else { throw error("the string is not valid UTF-8") }
        return s
    }

    private mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard index + n <= bytes.count,
              UnsafeBufferPointer(rebasing: bytes[index..<(index + n)]).elementsEqual(UnsafeBufferPointer(start: word.utf8Start, count: n)) else {
            throw error(index < bytes.count ? "unexpected character \(printable(bytes[index])), a value expected"
                                             : "unexpected end of input, a value expected")
        }
        index += n
    }

    private func peek(_ b: UInt8) -> Bool { index < bytes.count && bytes[index] == b }

    private mutating func expect(_ b: UInt8, _ message: String) throws {
        guard peek(b) else {
            throw error(index < bytes.count ? "\(message), found \(printable(bytes[index]))" : "\(message), found the end of input")
        }
        index += 1
    }

    mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private func printable(_ b: UInt8) -> String {
        (0x21..<0x7F).contains(b) ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x\(String(b, radix: 16))"
    }

    /// The error at the current position, with its line and column.
    func error(_ reason: String) -> JSONSyntaxError {
        var line = 1, lineStart = 0
        for i in 0..<min(index, bytes.count) where bytes[i] == 0x0A { line += 1; lineStart = i + 1 }
        return JSONSyntaxError(line: line, column: index - lineStart + 1, reason: reason)
    }
}
