/// IP and MAC address values parsed without libc, so the manifest layer stays pure.

public enum IPFamily: Int, Sendable, Codable { case v4 = 4, v6 = 6 }

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address in network byte order.
public struct IPAddress: Sendable, Hashable, TextCodable, Comparable {
    public let bytes: [UInt8]
    public var family: IPFamily { bytes.count == 4 ? .v4 : .v6 }
    /// fe80::/10: an IPv6 address that means something on one link only (never a NAT target).
    public var isIPv6LinkLocal: Bool { bytes.count == 16 && bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80 }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    public init?(_ text: String) {
        if let b = IPAddress.parseV4(Substring(text)) { bytes = b }
        else if let b = IPAddress.parseV6(text) { bytes = b }
        else { return nil }
    }

    static func parseV4(_ s: Substring) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let v = Int(p), v <= 255, !(p.count > 1 && p.first == "0") else { return nil }
            out.append(UInt8(v))
        }
        return out
    }

    static func parseV6(_ s: String) -> [UInt8]? {
        guard s.contains(":"), s.count <= 45 else { return nil }
        // Split on the one "::" allowed, without Foundation.
        var halves: [String] = []
        if let r = s.firstRange(of: "::") {
            halves = [String(s[..<r.lowerBound]), String(s[r.upperBound...])]
            if halves[1].contains("::") { return nil }
        } else { halves = [s] }
        // A dotted IPv4 tail is only allowed as the address's last 32 bits.
        func groups(_ part: String, last: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            let items = part.split(separator: ":", omittingEmptySubsequences: false)
            for (i, item) in items.enumerated() {
                if last, i == items.count - 1, item.contains(".") {
                    guard let v4 = parseV4(item) else { return nil }
                    out.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                    out.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                } else {
                    guard !item.isEmpty, item.count <= 4, item.allSatisfy(\.isHexDigit),
                          let v = UInt16(item, radix: 16) else { return nil }
                    out.append(v)
                }
            }
            return out
        }
        guard let head = groups(halves[0], last: halves.count == 1) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1], last: true), head.count + tail.count <= 7 else { return nil }
            all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }

    public var description: String {
        if family == .v4 { return bytes.map(String.init).joined(separator: ".") }
        let g = stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
        // RFC 5952: compress the longest run (≥ 2) of zero groups.
        var best = (start: -1, len: 0), cur = (start: -1, len: 0)
        for (i, v) in g.enumerated() {
            if v == 0 { cur = cur.start < 0 ? (i, 1) : (cur.start, cur.len + 1) } else { cur = (-1, 0) }
            if cur.len > best.len { best = cur }
        }
        let hex = g.map { String($0, radix: 16) }
        if best.len < 2 { return hex.joined(separator: ":") }
        let left = hex[..<best.start].joined(separator: ":")
        let right = hex[(best.start + best.len)...].joined(separator: ":")
        return left + "::" + right
    }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        a.bytes.count != b.bytes.count ? a.bytes.count < b.bytes.count : a.bytes.lexicographicallyPrecedes(b.bytes)
    }

    public static let textKind = "IP"
}

/// An address with a prefix length, as written on an interface: 10.88.0.2/16.
public struct IPPrefix: Sendable, Hashable, TextCodable {
    public let address: IPAddress
    public let length: Int
    public var family: IPFamily { address.family }

    public init?(address: IPAddress, length: Int) {
        guard length >= 0, length <= address.bytes.count * 8 else { return nil }
        self.address = address; self.length = length
    }

    /// Accepts "a.b.c.d/n" and "x::y/n".
    public init?(_ text: String) { self.init(text, allowBare: false) }

    /// Also a bare address when `allowBare` (a host route: /32, /128).
    public init?(_ text: String, allowBare: Bool) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard let a = IPAddress(String(parts[0])) else { return nil }
        if parts.count == 1 {
            guard allowBare else { return nil }
            self.init(address: a, length: a.bytes.count * 8)
            return
        }
        guard parts.count == 2, !parts[1].isEmpty, parts[1].count <= 3,
              parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(parts[1]) else { return nil }
        self.init(address: a, length: n)
    }

    public static func defaultRoute(_ family: IPFamily) -> IPPrefix {
        IPPrefix(address: IPAddress(bytes: Array(repeating: 0, count: family == .v4 ? 4 : 16))!, length: 0)!
    }

    /// The network: host bits cleared.
    public var network: IPPrefix {
        var b = address.bytes
        for i in 0..<b.count {
            let bitsHere = max(0, min(8, length - i * 8))
            b[i] &= bitsHere == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - bitsHere))
        }
        return IPPrefix(address: IPAddress(bytes: b)!, length: length)!
    }

    public func contains(_ a: IPAddress) -> Bool {
        guard a.family == family else { return false }
        return IPPrefix(address: a, length: length)!.network.address == network.address
    }

    public var isDefault: Bool { length == 0 }
    public var description: String { "\(address)/\(length)" }

    public static let textKind = "prefix"
}

public struct MACAddress: Sendable, Hashable, TextCodable {
    public let bytes: [UInt8]
    public init?(bytes: [UInt8]) { guard bytes.count == 6 else { return nil }; self.bytes = bytes }
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var b: [UInt8] = []
        for p in parts {
            // Hex digits only: UInt8("+f", radix: 16) would accept a sign.
            guard p.count == 2, p.allSatisfy(\.isHexDigit), let v = UInt8(p, radix: 16) else { return nil }
            b.append(v)
        }
        bytes = b
    }
    public var isMulticast: Bool { bytes[0] & 1 == 1 }
    public var isZero: Bool { bytes.allSatisfy { $0 == 0 } }
    public var description: String {
        bytes.map { let s = String($0, radix: 16); return s.count == 1 ? "0" + s : s }.joined(separator: ":")
    }
    public static let textKind = "MAC"
}
