import Foundation
import Testing
@testable import PlumbJSON

/// A value with every shape Plumb's records and CNI results use: optionals present and
/// absent, nested objects and arrays (empty too), enums with payloads (synthesized
/// nested containers), keys that sort differently by bytes and by number, numbers at
/// the ends of their ranges, strings that need escaping.
private struct Sample: Codable, Equatable {
    enum Kind: Codable, Equatable { case veth(peer: String, mtu: Int?), bridge, vf(Int, String) }
    struct Inner: Codable, Equatable { var name: String; var tags: [String]; var weight: Double? }
    var id: String
    var absent: Int? = nil
    var present: Int? = 7
    var flag: Bool
    var kinds: [Kind]
    var inner: Inner
    var byName: [String: Inner]
    var byNumber: [Int: String]
    var empty: [Int] = []
    var emptyObject: [String: Int] = [:]
    var nested: [[Int]]
    var doubles: [Double]
    var float: Float
    var big: Int64 = .max
    var small: Int64 = .min
    var huge: UInt64 = .max
    var tiny: Int8 = -128
    var text: String
    var data: Data
    var url: URL
}

private func sample() -> Sample {
    Sample(id: "plumb-0a1b", flag: true,
           kinds: [.veth(peer: "eth0", mtu: nil), .veth(peer: "ve-1", mtu: 9000), .bridge, .vf(3, "0000:01:10.0")],
           inner: .init(name: "cni-br0", tags: ["a", ""], weight: 0.25),
           byName: ["eth10": .init(name: "x", tags: [], weight: nil), "eth2": .init(name: "y", tags: ["z"], weight: 1),
                    "B": .init(name: "b", tags: [], weight: -0.0), "_u": .init(name: "u", tags: [], weight: 1e-5),
                    "é": .init(name: "e", tags: [], weight: 1e21), "a01": .init(name: "a", tags: [], weight: 123456789.125)],
           byNumber: [10: "ten", 2: "two", -1: "minus"],
           nested: [[], [1], [1, 2]], doubles: [0.1, 3.0, 1e16, 2.5e-7, -42],
           float: 0.1, text: "q\"\\/\u{1}\u{1f}\n\t\r\u{8}\u{c}\u{7f}é😀\u{2028} slash/ ok",
           data: Data([0, 1, 2, 254, 255]), url: URL(string: "http://example.com/a/b?c=d")!)
}

@Suite("JSON coding")
struct JSONCodingTests {
    @Test("writes what Foundation's JSONEncoder writes, pretty and compact, keys sorted")
    func encodesLikeFoundation() throws {
        for (style, formatting) in [(JSONEncoding.Style.pretty, JSONEncoder.OutputFormatting([.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])),
                                    (.compact, [.sortedKeys, .withoutEscapingSlashes])] {
            let foundation = JSONEncoder()
            foundation.outputFormatting = formatting
            let theirs = String(decoding: try foundation.encode(sample()), as: UTF8.self)
            let ours = String(decoding: try JSONEncoding.encode(sample(), style: style), as: UTF8.self)
            #expect(ours == theirs)
        }
    }

    @Test("reads back what either encoder wrote, and what Foundation reads the same")
    func decodesLikeFoundation() throws {
        let written = try JSONEncoding.encode(sample(), style: .pretty)
        #expect(try JSONDecoding.decode(Sample.self, from: written) == sample())
        #expect(try JSONDecoder().decode(Sample.self, from: written) == sample())
        let theirs = try JSONEncoder().encode(sample())
        #expect(try JSONDecoding.decode(Sample.self, from: theirs) == sample())
    }

    @Test("integers convert exactly or not at all", arguments: [
        ("1", 1 as Int?), ("-0", 0), ("1.0", 1), ("1e2", 100), ("2.0e0", 2), ("-9223372036854775808", Int.min),
        ("1.5", nil), ("9223372036854775808", nil), ("1e400", nil), ("\"1\"", nil), ("true", nil),
    ])
    func integers(text: String, value: Int?) {
        let ours = try? JSONDecoding.decode(Int.self, from: Data(text.utf8))
        let theirs = try? JSONDecoder().decode(Int.self, from: Data(text.utf8))
        #expect(ours == value)
        #expect(ours == theirs)
    }

    @Test("a small integer type refuses what does not fit, naming the number")
    func narrowIntegers() throws {
        #expect(throws: DecodingError.self) { try JSONDecoding.decode(UInt8.self, from: Data("300".utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoding.decode(UInt.self, from: Data("-1".utf8)) }
        #expect((try? JSONDecoding.decode(Float.self, from: Data("1e39".utf8))) == nil)
        #expect(try JSONDecoding.decode(Double.self, from: Data("1e-5".utf8)) == 1e-5)
    }

    @Test("refuses what is not exactly JSON, naming line and column", arguments: [
        ("[1,]", 1, 4, "a value expected"),
        ("{\"a\":1,}", 1, 8, "a member name"),
        ("{\"a\": 1,\n \"a\": 2}", 2, 2, "given twice"),
        ("\"\\ud800\"", 1, 8, "surrogate"),
        ("\"\\udc00\"", 1, 8, "surrogate"),
        ("\"a\u{1}\"", 1, 3, "control character"),
        ("[1] x", 1, 5, "after the JSON value"),
        ("[tru]", 1, 2, "a value expected"),
        ("[1 2]", 1, 4, "',' or ']' expected"),
        ("{\"a\" 1}", 1, 6, "':' expected"),
        ("[NaN]", 1, 2, "a value expected"),
        ("[.5]", 1, 2, "a value expected"),
        ("[-]", 1, 3, "a digit expected"),
        ("[1.]", 1, 4, "decimal point"),
        ("[1e]", 1, 4, "exponent"),
        ("[01]", 1, 3, "leading zeros"),
        ("[+1]", 1, 2, "a value expected"),
        ("\"\\x\"", 1, 2, "unknown escape"),
        ("", 1, 1, "end of input"),
        ("[\"abc", 1, 6, "unterminated string"),
        ("// c\n{}", 1, 1, "a value expected"),
    ])
    func strict(text: String, line: Int, column: Int, reason: String) {
        do {
            _ = try JSONDecoding.parse(Data(text.utf8))
            Issue.record("accepted \(text.debugDescription)")
        } catch DecodingError.dataCorrupted(let ctx) {
            let e = ctx.underlyingError as? JSONSyntaxError
            #expect(e?.line == line && e?.column == column, "\(text.debugDescription): \(ctx.debugDescription)")
            #expect(ctx.debugDescription.contains(reason), "\(ctx.debugDescription)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test("refuses invalid UTF-8, escaped or not")
    func invalidUTF8() {
        for bytes: [UInt8] in [[0x22, 0xC3, 0x28, 0x22], [0x22, 0x5C, 0x6E, 0xFF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22]] {
            #expect(throws: DecodingError.self) { try JSONDecoding.parse(Data(bytes)) }
        }
    }

    @Test("nesting deeper than the limit is refused, not recursed into")
    func depth() throws {
        let ok = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        _ = try JSONDecoding.parse(Data(ok.utf8))
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: DecodingError.self) { try JSONDecoding.parse(Data(deep.utf8)) }
    }

    @Test("escapes decode to the characters they name")
    func escapes() throws {
        let text = #""\"\\\/\b\f\n\r\t\u0000\u00e9\ud83d\ude00 plain""#
        #expect(try JSONDecoding.decode(String.self, from: Data(text.utf8)) == "\"\\/\u{8}\u{c}\n\r\t\u{0}é😀 plain")
    }

    @Test("a decoding error names the path as Foundation does")
    func errorPaths() {
        struct R: Decodable { var name: String; var list: [Int] }
        func path(_ text: String) -> String {
            do { _ = try JSONDecoding.decode(R.self, from: Data(text.utf8)); return "decoded" } catch DecodingError.keyNotFound(let k, let c) {
                return "missing " + (c.codingPath + [k]).map(\.stringValue).joined(separator: ".")
            } catch DecodingError.typeMismatch(_, let c) {
                return "mismatch " + c.codingPath.map(\.stringValue).joined(separator: ".")
            } catch DecodingError.valueNotFound(_, let c) {
                return "null " + c.codingPath.map(\.stringValue).joined(separator: ".")
            } catch { return "\(error)" }
        }
        #expect(path(#"{"list": []}"#) == "missing name")
        #expect(path(#"{"name": 1, "list": []}"#) == "mismatch name")
        #expect(path(#"{"name": null, "list": []}"#) == "null name")
        #expect(path(#"{"name": "x", "list": [1, "2"]}"#) == "mismatch list.Index 1")
        #expect(path(#"[1]"#) == "mismatch ")
        #expect(path(#"{"name": "x", "list": [1]}"#) == "decoded")
    }

    @Test("a value that encodes nothing is refused at the top, an empty object inside")
    func encodesNothing() throws {
        struct Nothing: Encodable { func encode(to encoder: Encoder) throws {} }
        struct Holder: Encodable { var n = Nothing() }
        #expect(throws: EncodingError.self) { try JSONEncoding.encode(Nothing()) }
        #expect(String(decoding: try JSONEncoding.encode(Holder()), as: UTF8.self) == #"{"n":{}}"#)
        #expect(throws: EncodingError.self) { try JSONEncoding.encode([Double.nan]) }
    }

    @Test("a class hierarchy's super encoder and decoder round-trip")
    func superCoders() throws {
        class Base: Codable { var a = 1 }
        final class Derived: Base {
            var b = 2
            enum K: CodingKey { case b }
            override init() { super.init() }
            required init(from decoder: Decoder) throws {
                b = try decoder.container(keyedBy: K.self).decode(Int.self, forKey: .b)
                try super.init(from: try decoder.container(keyedBy: K.self).superDecoder())
            }
            override func encode(to encoder: Encoder) throws {
                var c = encoder.container(keyedBy: K.self)
                try c.encode(b, forKey: .b)
                try super.encode(to: c.superEncoder())
            }
        }
        let d = Derived(); d.a = 5; d.b = 6
        let ours = try JSONEncoding.encode(d)
        let foundation = JSONEncoder(); foundation.outputFormatting = [.sortedKeys]
        #expect(ours == (try foundation.encode(d)))
        let back = try JSONDecoding.decode(Derived.self, from: ours)
        #expect(back.a == 5 && back.b == 6)
    }
}

@Suite("JSON nodes inside Codable types")
struct JSONNodeCodingTests {
    struct Config: Codable, Equatable { var name: String; var ipam: JSONObject?; var prevResult: JSONNode? }

    @Test("a node is handed over as parsed and printed as written: numbers keep their text")
    func passthrough() throws {
        // Keys in sorted order: what JSONEncoding prints.
        let text = #"{"ipam":{"big":12345678901234567890,"ranges":[[{"subnet":"10.0.0.0/8"}]],"type":"host-local","weight":1.50},"name":"n","prevResult":{"ips":[]}}"#
        let c = try JSONDecoding.decode(Config.self, from: Data(text.utf8))
        #expect(c.ipam?["type"]?.string == "host-local")
        #expect(c.ipam?["big"] == .number("12345678901234567890"))
        #expect(String(decoding: try JSONEncoding.encode(c), as: UTF8.self) == text)
    }

    @Test("a node that is not an object where one is declared is a type mismatch at its path")
    func objectExpected() {
        do {
            _ = try JSONDecoding.decode(Config.self, from: Data(#"{"name":"n","ipam":"host-local"}"#.utf8))
            Issue.record("decoded")
        } catch DecodingError.typeMismatch(_, let ctx) {
            #expect(ctx.codingPath.map(\.stringValue) == ["ipam"])
        } catch { Issue.record("\(error)") }
    }

    @Test("Foundation's coders read and write the same nodes through the containers")
    func foundationCoders() throws {
        let text = #"{"ipam":{"type":"static","n":[1,true,null,"x"]},"name":"n"}"#
        let ours = try JSONDecoding.decode(Config.self, from: Data(text.utf8))
        let theirs = try JSONDecoder().decode(Config.self, from: Data(text.utf8))
        #expect(ours == theirs)
        let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(try enc.encode(ours) == (try JSONEncoding.encode(ours)))
    }
}
