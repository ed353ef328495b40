/// The `cniVersion` labels of a network configuration — its own and its `prevResult`'s —
/// found by scanning the JSON text, and relabelled in place: every other byte reaches the
/// IPAM plugin as the runtime wrote it. A decode and re-encode (JSONSerialization) would
/// do the same at ~1 ms of runtime type lookups on every ADD, for two strings.
///
/// The scan is exact or declines (nil): a key written with an escape, a label that is not a
/// plain string, a key given twice, a configuration that is not one object — those go the
/// slow, general way (`IPAM.relabel`). Nesting is tracked iteratively (no recursion on
/// hostile input).
struct VersionLabels {
    /// Byte ranges of the label values, quotes excluded.
    var own: Range<Int>?
    var prevResult: Range<Int>?

    /// The top-level label's text.
    func version(in bytes: [UInt8]) -> String? { own.map { String(decoding: bytes[$0], as: UTF8.self) } }

    /// The text with both labels replaced by `version`.
    func relabelled(_ bytes: [UInt8], to version: String) -> [UInt8] {
        var out = bytes
        // From the back, so the front range stays valid.
        for r in [own, prevResult].compactMap({ $0 }).sorted(by: { $0.lowerBound > $1.lowerBound }) {
            out.replaceSubrange(r, with: Array(version.utf8))
        }
        return out
    }

    static func find(_ b: [UInt8]) -> VersionLabels? {
        var s = Scanner(b: b)
        s.skipSpace()
        guard s.peek == UInt8(ascii: "{") else { return nil }
        var labels = VersionLabels()
        let complete = s.members { key, s in
            switch key {
            case "cniVersion":
                guard labels.own == nil, let r = s.plainString() else { return false }
                labels.own = r
            case "prevResult" where s.peek == UInt8(ascii: "{"):
                guard labels.prevResult == nil else { return false }
                let inner = s.members { key, s in
                    guard key == "cniVersion" else { return s.skipValue() }
                    guard labels.prevResult == nil, let r = s.plainString() else { return false }
                    labels.prevResult = r
                    return true
                }
                // A prevResult without a label gets one the slow way.
                guard inner, labels.prevResult != nil else { return false }
            default:
                return s.skipValue()
            }
            return true
        }
        s.skipSpace()
        return complete && s.i == b.count ? labels : nil
    }

    private struct Scanner {
        let b: [UInt8]
        var i = 0

        var peek: UInt8? { i < b.count ? b[i] : nil }

        mutating func skipSpace() {
            while let c = peek, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 }
        }

        /// The members of the object at `i`, each key handed to `body` with the scanner on
        /// its value (which `body` must consume); false when anything is off.
        mutating func members(_ body: (String, inout Scanner) -> Bool) -> Bool {
            guard peek == UInt8(ascii: "{") else { return false }
            i += 1
            skipSpace()
            if peek == UInt8(ascii: "}") { i += 1; return true }
            var seen = Set<String>()
            while true {
                skipSpace()
                guard let range = plainString() else { return false }
                let key = String(decoding: b[range], as: UTF8.self)
                guard seen.insert(key).inserted else { return false }
                skipSpace()
                guard peek == UInt8(ascii: ":") else { return false }
                i += 1
                skipSpace()
                guard body(key, &self) else { return false }
                skipSpace()
                switch peek {
                case UInt8(ascii: ","): i += 1
                case UInt8(ascii: "}"): i += 1; return true
                default: return false
                }
            }
        }

        /// A string without escapes; its contents' range.
        mutating func plainString() -> Range<Int>? {
            guard peek == UInt8(ascii: "\"") else { return nil }
            let start = i + 1
            var j = start
            while j < b.count, b[j] != UInt8(ascii: "\"") {
                if b[j] == UInt8(ascii: "\\") || b[j] < 0x20 { return nil }
                j += 1
            }
            guard j < b.count else { return nil }
            i = j + 1
            return start..<j
        }

        /// Any one value (not checked beyond its nesting and strings: the configuration was
        /// decoded already).
        mutating func skipValue() -> Bool {
            var depth = 0
            var inString = false
            while i < b.count {
                let c = b[i]
                i += 1
                if inString {
                    if c == UInt8(ascii: "\\") { i += 1 } else if c == UInt8(ascii: "\"") { inString = false; if depth == 0 { return true } }
                    continue
                }
                switch c {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth < 0 { return false }
                    if depth == 0 { return true }
                case UInt8(ascii: ","):
                    if depth == 0 { return false }   // no value before it
                default:
                    // A scalar at depth 0 ends before a delimiter.
                    if depth == 0, let n = peek, n == UInt8(ascii: ",") || n == UInt8(ascii: "}") || n == 0x20 || n == 0x0A || n == 0x0D || n == 0x09 {
                        return true
                    }
                }
            }
            return false
        }
    }
}
