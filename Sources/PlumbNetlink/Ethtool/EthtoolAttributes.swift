import CNetlink

/// The attributes of one ethtool reply, or of one nest inside it, indexed by type.
/// Borrowed from libnl's message: valid only while the receive callback runs,
/// so parsers copy values out at once.
struct EthtoolAttributes {
    private let table: [UnsafeMutablePointer<nlattr>?]

    /// Parses a reply message; nil when it is not the expected reply command.
    init?(message msg: OpaquePointer, reply: EthtoolRequest.Reply) throws {
        let nlh = nlmsg_hdr(msg)
        guard let genl = genlmsg_hdr(nlh), Int(genl.pointee.cmd) == reply.command else { return nil }
        var table = [UnsafeMutablePointer<nlattr>?](repeating: nil, count: reply.maxType + 1)
        let rc = genlmsg_parse(nlh, 0, &table, Int32(reply.maxType), nil)
        guard rc >= 0 else { throw EthtoolParseError("attributes do not parse (\(rc))") }
        self.table = table
    }

    /// Parses the contents of a nest.
    init(nest: UnsafeMutablePointer<nlattr>, maxType: Int) throws {
        var table = [UnsafeMutablePointer<nlattr>?](repeating: nil, count: maxType + 1)
        let rc = nla_parse_nested(&table, Int32(maxType), nest, nil)
        guard rc >= 0 else { throw EthtoolParseError("nested attributes do not parse (\(rc))") }
        self.table = table
    }

    func attribute(_ type: Int) -> UnsafeMutablePointer<nlattr>? {
        type < table.count ? table[type] : nil
    }

    func u32(_ type: Int) -> UInt32? {
        guard let a = attribute(type), nla_len(a) >= 4 else { return nil }
        return nla_get_u32(a)
    }

    /// A u32 as Int; absent reads as 0 (how ethtool shows a count the device lacks: "n/a").
    func count(_ type: Int) -> Int { u32(type).map(Int.init) ?? 0 }

    func optionalCount(_ type: Int) -> Int? { u32(type).map(Int.init) }

    /// A u8 0/1 setting; nil when absent (the device does not report it).
    func bool(_ type: Int) -> Bool? {
        guard let a = attribute(type), nla_len(a) >= 1 else { return nil }
        return nla_get_u8(a) != 0
    }

    func flag(_ type: Int) -> Bool { attribute(type) != nil }

    func string(_ type: Int) -> String? {
        guard let a = attribute(type), let data = nla_data(a) else { return nil }
        let bytes = UnsafeRawBufferPointer(start: data, count: Int(nla_len(a)))
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// A binary attribute's bytes.
    func bytes(_ type: Int) -> [UInt8]? {
        guard let a = attribute(type), let data = nla_data(a) else { return nil }
        return Array(UnsafeRawBufferPointer(start: data, count: Int(nla_len(a))))
    }

    func nested(_ type: Int, maxType: Int) throws -> EthtoolAttributes? {
        try attribute(type).map { try EthtoolAttributes(nest: $0, maxType: maxType) }
    }

    /// The entries of an array nest (`ETHTOOL_A_BITSET_BITS_BIT+`), each parsed.
    func elements(_ type: Int, maxType: Int) throws -> [EthtoolAttributes] {
        guard let nest = attribute(type), let first = nla_data(nest) else { return [] }
        var remaining = nla_len(nest)
        var a: UnsafeMutablePointer<nlattr>? = first.assumingMemoryBound(to: nlattr.self)
        var out: [EthtoolAttributes] = []
        while let cur = a, nla_ok(cur, remaining) != 0 {
            out.append(try EthtoolAttributes(nest: cur, maxType: maxType))
            a = nla_next(cur, &remaining)
        }
        return out
    }
}

/// A reply the kernel sent that does not have the documented shape.
struct EthtoolParseError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
