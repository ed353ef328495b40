/// A sysctl value in the form the kernel prints it back, so a declared value and a read
/// one compare equal when the kernel holds what was declared.
///
/// The kernel reads integer sysctls with `proc_get_long`: leading blanks skipped, an
/// optional `-`, then C notation (`0x1` is hex, `010` is octal); it prints them in decimal,
/// fields separated by a tab (`ip_local_port_range`), and `sysctl -n` / Plumb's reader
/// show runs of blanks as one space. So `"01"`, `"0x1"` and `" 1"` all come back as `1`,
/// and `"32768   60999"` as `32768 60999`: compared as written they would be drift forever.
public enum SysctlValue {
    public enum Reading: Equatable, Sendable {
        /// The text the kernel will show once the value is written.
        case canonical(String)
        /// A value the kernel would read differently from how it looks, or refuse.
        case refused(String)
    }

    /// `text` as the kernel will print it, or why it must not be written.
    public static func canonical(_ text: String) -> Reading {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
        let numbers = fields.map(integer)
        // A value with any non-numeric field is a string sysctl (tcp_congestion_control,
        // ip_local_reserved_ports "8080,9000-9100"): only its blanks are the kernel's.
        if fields.isEmpty || numbers.contains(where: { if case .notANumber = $0 { return true } else { return false } }) {
            return .canonical(fields.joined(separator: " "))
        }
        var out: [String] = []
        for (field, n) in zip(fields, numbers) {
            switch n {
            case .value(let v): out.append(String(v))
            case .ambiguousOctal(let v):
                return .refused("\"\(field)\" is octal to the kernel (it reads \(v)); write \(v), or the number without its leading zero")
            case .badOctal:
                return .refused("\"\(field)\" is not a number the kernel reads: a leading 0 makes it octal, and 8 and 9 are not octal digits")
            case .outOfRange:
                return .refused("\"\(field)\" is beyond the range of a kernel integer")
            case .notANumber: return .canonical(fields.joined(separator: " "))
            }
        }
        return .canonical(out.joined(separator: " "))
    }

    /// Whether the kernel's reading `observed` is the value `declared` asks for.
    public static func same(_ observed: String, _ declared: String) -> Bool {
        guard case .canonical(let a) = canonical(observed), case .canonical(let b) = canonical(declared) else {
            return observed == declared
        }
        return a == b
    }

    enum Integer: Equatable {
        case value(Int64)
        /// `010`: the kernel reads 8, the writer most likely meant 10.
        case ambiguousOctal(Int64)
        case badOctal
        case outOfRange
        case notANumber
    }

    /// One field as `proc_get_long` reads it (base 0: `0x` hex, leading `0` octal).
    static func integer(_ field: String) -> Integer {
        var s = Substring(field)
        let negative = s.first == "-"
        if negative { s = s.dropFirst() }
        guard let first = s.first, first.isASCII, first.isNumber else { return .notANumber }
        let radix: Int, digits: Substring
        if s.hasPrefix("0x") || s.hasPrefix("0X") { radix = 16; digits = s.dropFirst(2) }
        else if s.count > 1 && first == "0" { radix = 8; digits = s.dropFirst() }
        else { radix = 10; digits = s }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isHexDigit }) else { return .notANumber }
        if radix == 8, !digits.allSatisfy({ ("0"..."7").contains($0) }) {
            return digits.allSatisfy({ $0.isNumber }) ? .badOctal : .notANumber
        }
        if radix == 10, !digits.allSatisfy({ $0.isNumber }) { return .notANumber }
        guard let magnitude = Int64(digits, radix: radix) else { return .outOfRange }
        let v = negative ? -magnitude : magnitude
        // 01…07 mean the same in octal and decimal; 010 does not.
        if radix == 8, Int64(digits, radix: 10) != magnitude { return .ambiguousOctal(v) }
        return .value(v)
    }
}
