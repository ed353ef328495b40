import CNetlink
import Glibc
import PlumbSystem
import PlumbTypes

/// A generic netlink socket connected to the kernel's `devlink` family: what `devlink`
/// itself speaks. Plumb uses it for one thing, the eswitch mode of a PF.
///
/// Like every netlink socket it is bound to the network namespace of the thread that
/// creates it; devlink devices are registered in the initial namespace, where Plumb
/// opens it. Not Sendable: libnl objects are not thread-safe.
public final class DevlinkSocket {
    private let sock: OpaquePointer
    private let family: Int32
    private let ack: UnsafeMutablePointer<plumb_nl_ack>
    private let reply = DevlinkReply()

    /// Connects and resolves the `devlink` family id.
    /// Equivalent to: `genl ctrl get name devlink`.
    public init() throws {
        sock = try openSocket("NETLINK_GENERIC", label: nil) { genl_connect($0) }
        let rc = genl_ctrl_resolve(sock, DEVLINK_GENL_NAME)
        guard rc >= 0 else {
            nl_socket_free(sock)
            throw NetlinkError(operation: "CTRL_CMD_GETFAMILY", object: DEVLINK_GENL_NAME,
                               errno: Errno(rawValue: errnoFromLibnl(-rc)), kernelMessage: String(cString: nl_geterror(rc)))
        }
        family = rc
        ack = .allocate(capacity: 1)
        ack.initialize(to: plumb_nl_ack())
        _ = plumb_nl_capture_errors(sock, ack)
        let context = Unmanaged.passUnretained(reply).toOpaque()
        nl_socket_modify_cb(sock, NL_CB_VALID, NL_CB_CUSTOM, { msg, arg in
            Unmanaged<DevlinkReply>.fromOpaque(arg!).takeUnretainedValue().receive(msg!)
            return Int32(NL_OK.rawValue)
        }, context)
        nl_socket_modify_cb(sock, NL_CB_ACK, NL_CB_CUSTOM, { _, arg in
            Unmanaged<DevlinkReply>.fromOpaque(arg!).takeUnretainedValue().acked = true
            return Int32(NL_STOP.rawValue)
        }, context)
    }

    deinit {
        nl_socket_free(sock)
        ack.deallocate()
    }

    /// The device's eswitch mode. Throws ENODEV when the driver registers no devlink
    /// device (igb), EOPNOTSUPP when its devlink device has no eswitch.
    /// Equivalent to: `devlink dev eswitch show BUS/DEV`.
    public func eswitchMode(_ h: DevlinkHandle) throws -> EswitchMode {
        reply.mode = nil
        try perform(h, command: DEVLINK_CMD_ESWITCH_GET, name: "DEVLINK_CMD_ESWITCH_GET", mode: nil)
        switch reply.mode.map(Int32.init) {
        case Int32(DEVLINK_ESWITCH_MODE_LEGACY.rawValue): return .legacy
        case Int32(DEVLINK_ESWITCH_MODE_SWITCHDEV.rawValue): return .switchdev
        case let other:
            throw NetlinkError(operation: "DEVLINK_CMD_ESWITCH_GET", object: h.description, errno: .io,
                               kernelMessage: other.map { "unknown eswitch mode \($0)" } ?? "no eswitch mode in the reply")
        }
    }

    /// Equivalent to: `devlink dev eswitch set BUS/DEV mode legacy|switchdev`.
    public func setEswitchMode(_ h: DevlinkHandle, _ mode: EswitchMode) throws {
        let value: UInt16 = switch mode {
        case .legacy: UInt16(DEVLINK_ESWITCH_MODE_LEGACY.rawValue)
        case .switchdev: UInt16(DEVLINK_ESWITCH_MODE_SWITCHDEV.rawValue)
        }
        try perform(h, command: DEVLINK_CMD_ESWITCH_SET, name: "DEVLINK_CMD_ESWITCH_SET", mode: value)
    }

    private func perform(_ h: DevlinkHandle, command: devlink_command, name: String, mode: UInt16?) throws {
        guard let msg = nlmsg_alloc() else { throw NetlinkError(operation: name, object: h.description, errno: .noMemory) }
        defer { nlmsg_free(msg) }
        guard genlmsg_put(msg, UInt32(NL_AUTO_PORT), UInt32(NL_AUTO_SEQ), family, 0, 0,
                          UInt8(command.rawValue), UInt8(DEVLINK_GENL_VERSION)) != nil,
              nla_put_string(msg, Int32(DEVLINK_ATTR_BUS_NAME.rawValue), h.bus) == 0,
              nla_put_string(msg, Int32(DEVLINK_ATTR_DEV_NAME.rawValue), h.device) == 0,
              mode.map({ nla_put_u16(msg, Int32(DEVLINK_ATTR_ESWITCH_MODE.rawValue), $0) == 0 }) ?? true
        else { throw NetlinkError(operation: name, object: h.description, errno: .noMemory) }
        ack.pointee.error = 0
        ack.pointee.message.0 = 0
        reply.acked = false
        try check(name, h, nl_send_auto(sock, msg))
        while !reply.acked { try check(name, h, nl_recvmsgs_default(sock)) }
    }

    private func check(_ name: String, _ h: DevlinkHandle, _ rc: Int32) throws {
        guard rc < 0 else { return }
        if ack.pointee.error != 0 {
            let text = withUnsafePointer(to: ack.pointee.message) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            throw NetlinkError(operation: name, object: h.description, errno: Errno(rawValue: ack.pointee.error), kernelMessage: text)
        }
        throw NetlinkError(operation: name, object: h.description, errno: Errno(rawValue: errnoFromLibnl(-rc)),
                           kernelMessage: String(cString: nl_geterror(rc)))
    }
}

@available(*, unavailable)
extension DevlinkSocket: Sendable {}

/// What libnl's callbacks hand back: the eswitch mode of a GET's reply, and the ACK.
final class DevlinkReply {
    var mode: UInt16?
    var acked = false
    func receive(_ msg: OpaquePointer) {
        let nlh = nlmsg_hdr(msg)
        guard let genl = genlmsg_hdr(nlh), Int(genl.pointee.cmd) == Int(DEVLINK_CMD_ESWITCH_GET.rawValue) else { return }
        let max = Int(DEVLINK_ATTR_ESWITCH_MODE.rawValue)
        var table = [UnsafeMutablePointer<nlattr>?](repeating: nil, count: max + 1)
        guard genlmsg_parse(nlh, 0, &table, Int32(max), nil) >= 0, let a = table[max], nla_len(a) >= 2 else { return }
        mode = nla_get_u16(a)
    }
}
