import CNetlink
import PlumbSystem

/// One attribute of an ethtool request, as a value: requests are built, compared
/// and unit-tested without a socket, and turned into libnl calls in one place.
indirect enum EthtoolAttribute: Equatable, Sendable {
    case u8(Int, UInt8)
    case u32(Int, UInt32)
    case flag(Int)
    case string(Int, String)
    case nested(Int, [EthtoolAttribute])

    /// Appends the attribute to `msg`; false when the message ran out of room.
    func put(into msg: OpaquePointer) -> Bool {
        switch self {
        case let .u8(type, v): return nla_put_u8(msg, Int32(type), v) == 0
        case let .u32(type, v): return nla_put_u32(msg, Int32(type), v) == 0
        case let .flag(type): return nla_put_flag(msg, Int32(type)) == 0
        case let .string(type, s): return nla_put_string(msg, Int32(type), s) == 0
        case let .nested(type, children):
            // The ethtool family validates strictly: nests must carry NLA_F_NESTED.
            guard let start = nla_nest_start(msg, Int32(type) | Int32(NLA_F_NESTED)) else { return false }
            guard children.allSatisfy({ $0.put(into: msg) }) else { return false }
            return nla_nest_end(msg, start) == 0
        }
    }
}

/// One ethtool netlink request: the message, the device, and its attributes.
struct EthtoolRequest: Equatable, Sendable {
    /// What a GET expects back: the reply command and its highest attribute type.
    struct Reply: Equatable, Sendable {
        var command: Int
        var maxType: Int
    }

    var command: Int
    /// The uapi name, for errors: "ETHTOOL_MSG_CHANNELS_SET".
    var name: String
    var ifname: String
    /// ETHTOOL_FLAG_* for the request header.
    var flags: UInt32 = 0
    /// The message's attributes after its header.
    var attributes: [EthtoolAttribute] = []
    var reply: Reply?

    /// The header nest every ethtool message starts with (`ETHTOOL_A_*_HEADER` is 1 in all).
    var header: EthtoolAttribute {
        var fields: [EthtoolAttribute] = [.string(ETHTOOL_A_HEADER_DEV_NAME, ifname)]
        if flags != 0 { fields.append(.u32(ETHTOOL_A_HEADER_FLAGS, flags)) }
        return .nested(1, fields)
    }

    /// A GET for one device, answered by `reply`.
    static func get(_ command: Int, _ name: String, _ ifname: String, reply: Reply) -> EthtoolRequest {
        EthtoolRequest(command: command, name: name, ifname: ifname, reply: reply)
    }

    /// A SET for one device carrying `attributes` (nil entries are left out: unchanged).
    static func set(_ command: Int, _ name: String, _ ifname: String,
                    _ attributes: [EthtoolAttribute?]) -> EthtoolRequest {
        EthtoolRequest(command: command, name: name, ifname: ifname, attributes: attributes.compactMap { $0 })
    }

    /// The libnl message; the caller frees it.
    func message(family: Int32) throws -> OpaquePointer {
        guard let msg = nlmsg_alloc() else { throw failure(.noMemory, "nlmsg_alloc") }
        let ok = genlmsg_put(msg, UInt32(NL_AUTO_PORT), UInt32(NL_AUTO_SEQ), family, 0, 0,
                             UInt8(command), UInt8(ETHTOOL_GENL_VERSION)) != nil
        guard ok, ([header] + attributes).allSatisfy({ $0.put(into: msg) }) else {
            nlmsg_free(msg)
            throw failure(.noMemory, "request does not fit in one message")
        }
        return msg
    }

    /// An error about this request: `ETHTOOL_MSG_RINGS_SET eth1: <text> (EINVAL)`.
    func failure(_ errno: Errno, _ text: String, label: String? = nil) -> NetlinkError {
        NetlinkError(operation: name, object: label.map { "\(ifname) in \($0)" } ?? ifname,
                     errno: errno, kernelMessage: text)
    }
}

extension EthtoolAttribute {
    /// A u32 attribute for an optional count; nil stays nil (unchanged in a SET).
    static func count(_ type: Int, _ value: Int?, _ what: String) throws -> EthtoolAttribute? {
        guard let value else { return nil }
        guard let v = UInt32(exactly: value) else { throw EthtoolRangeError(what: what, value: value) }
        return .u32(type, v)
    }

    /// A bool as the u8 0/1 ethtool uses for on/off settings.
    static func bool(_ type: Int, _ value: Bool?) -> EthtoolAttribute? {
        value.map { .u8(type, $0 ? 1 : 0) }
    }
}

/// A count outside what the kernel can carry (negative, or beyond u32).
struct EthtoolRangeError: Error, CustomStringConvertible {
    var what: String
    var value: Int
    var description: String { "\(what) \(value) is out of range 0…\(UInt32.max)" }
}

extension EthtoolRequest {
    /// Builds a SET whose counts are validated first; a bad count becomes an EINVAL
    /// NetlinkError naming the operation and device, before anything is sent.
    static func checkedSet(_ command: Int, _ name: String, _ ifname: String,
                           _ build: () throws -> [EthtoolAttribute?]) throws -> EthtoolRequest {
        do {
            return set(command, name, ifname, try build())
        } catch let e as EthtoolRangeError {
            throw NetlinkError(operation: name, object: ifname, errno: .invalid, kernelMessage: e.description)
        }
    }
}
