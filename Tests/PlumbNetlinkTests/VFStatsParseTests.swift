import PlumbNetlink
import PlumbSystem
import Testing

/// The VF counters read raw from a PF's RTM_NEWLINK (libnl 3.7 does not parse the dropped
/// ones): messages laid out as the kernel's rtnl_fill_vfinfo writes them.
@Suite("VF counters from RTM_NEWLINK")
struct VFStatsParseTests {
    // linux/rtnetlink.h, linux/if_link.h
    static let rtmNewLink: UInt16 = 16
    static let iflaVFInfoList: UInt16 = 22, iflaVFInfo: UInt16 = 1, iflaVFMAC: UInt16 = 1, iflaVFStats: UInt16 = 8
    static let rxPackets: UInt16 = 0, txPackets: UInt16 = 1, rxBytes: UInt16 = 2, txBytes: UInt16 = 3
    static let broadcast: UInt16 = 4, multicast: UInt16 = 5, pad: UInt16 = 6, rxDropped: UInt16 = 7, txDropped: UInt16 = 8

    static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    /// One netlink attribute: length, type, payload, padded to 4 bytes.
    static func attr(_ type: UInt16, _ payload: [UInt8]) -> [UInt8] {
        let header = le(UInt16(4 + payload.count)) + le(type)
        let body = header + payload
        return body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
    }

    static func vf(_ n: UInt32, stats: [(UInt16, UInt64)]?) -> [UInt8] {
        let mac = attr(iflaVFMAC, le(n) + [UInt8](repeating: 0, count: 32))
        // The kernel pads before each u64 (nla_put_u64_64bit) so its payload is 8-aligned.
        let counters = stats.map { attr(iflaVFStats, $0.flatMap { attr(pad, []) + attr($0.0, le($0.1)) }) } ?? []
        return attr(iflaVFInfo, mac + counters)
    }

    static func message(_ vfs: [[UInt8]]) -> [UInt8] {
        let ifinfo = [UInt8](repeating: 0, count: 4) + le(Int32(7)) + le(UInt32(0)) + le(UInt32(0))
        let attrs = attr(3, Array("eth1\0".utf8)) + attr(iflaVFInfoList, vfs.flatMap { $0 })
        let length = UInt32(16 + ifinfo.count + attrs.count)
        return le(length) + le(rtmNewLink) + le(UInt16(0)) + le(UInt32(1)) + le(UInt32(0)) + ifinfo + attrs
    }

    @Test("every counter of each VF, by its VF number; dropped absent on kernels before 4.20; a VF without counters left out")
    func parse() {
        let bytes = Self.message([
            Self.vf(0, stats: [(Self.rxPackets, 10), (Self.txPackets, 11), (Self.rxBytes, 12), (Self.txBytes, 13),
                               (Self.broadcast, 14), (Self.multicast, 15), (Self.rxDropped, 16), (Self.txDropped, 17)]),
            Self.vf(1, stats: nil),
            Self.vf(2, stats: [(Self.rxPackets, 1 << 40), (Self.multicast, 3)]),
        ])
        let stats = RouteSocket.vfStats(inMessage: bytes)
        #expect(stats == [
            VFStats(index: 0, rxPackets: 10, txPackets: 11, rxBytes: 12, txBytes: 13, broadcast: 14, multicast: 15,
                    rxDropped: 16, txDropped: 17),
            VFStats(index: 2, rxPackets: 1 << 40, multicast: 3),
        ])
    }

    @Test("a link without VFs, or another message type, has no VF counters")
    func none() {
        #expect(RouteSocket.vfStats(inMessage: Self.message([])).isEmpty)
        var other = Self.message([Self.vf(0, stats: [(Self.rxPackets, 1)])])
        other[4] = 20   // RTM_NEWADDR
        #expect(RouteSocket.vfStats(inMessage: other).isEmpty)
        #expect(RouteSocket.vfStats(inMessage: [1, 2, 3]).isEmpty)
    }
}

/// Root: the raw read on a real kernel, in an anonymous namespace of the test's own (only
/// `lo`, which has no VFs). What it proves is the conversation: request, reply, ACK — an
/// unread ACK or a skipped sequence number would break the socket's next request.
@Suite("VF counters read from the kernel")
struct VFStatsKernelTests {
    @Test("a link without VFs has none; a missing link is ENODEV; the socket keeps working after both")
    func conversation() throws {
        let socket = try NetnsThread.runInNewNamespace { try RouteSocket(label: "test netns") }
        #expect(try socket.vfStats(pfIndex: 1, pfName: "lo").isEmpty)
        #expect(try socket.links().map(\.name) == ["lo"])
        let missing = #expect(throws: NetlinkError.self) { try socket.vfStats(pfIndex: 9999, pfName: "nothing") }
        #expect(missing?.errno == .noDevice, "\(String(describing: missing))")
        #expect(try socket.vfStats(pfIndex: 1, pfName: "lo").isEmpty)
        #expect(try socket.link(index: 1)?.name == "lo")
    }
}
