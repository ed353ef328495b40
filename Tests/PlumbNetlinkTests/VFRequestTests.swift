import PlumbTypes
import CNetlink
import Testing
@testable import PlumbNetlink
import PlumbSystem

// The pure parts of the VF netlink code, with no socket and no hardware: the
// RTM_SETLINK bytes libnl builds for each setting (decoded here independently, with
// the uapi numbers written out), the reading of a kernel-shaped RTM_NEWLINK reply,
// validation and error texts. Real igb runs in the lab (VFLabTests).

/// uapi numbers (linux/if_link.h, linux/rtnetlink.h), written out as the test's own reference.
private enum UAPI {
    static let rtmNewLink: UInt16 = 16, rtmSetLink: UInt16 = 19
    static let iflaIfname: UInt16 = 3, iflaNumVF: UInt16 = 21, iflaVFInfoList: UInt16 = 22
    static let vfInfo: UInt16 = 1, vfVLANInfo: UInt16 = 1
    static let vfMAC: UInt16 = 1, vfVLAN: UInt16 = 2, vfTxRate: UInt16 = 3, vfSpoofchk: UInt16 = 4
    static let vfLinkState: UInt16 = 5, vfRate: UInt16 = 6, vfRSSQuery: UInt16 = 7, vfTrust: UInt16 = 9
    static let vfVLANList: UInt16 = 12
}

/// A netlink attribute, decoded or to encode.
private struct Attr: Equatable {
    var type: UInt16
    var payload: [UInt8]

    static func u32s(_ type: UInt16, _ values: [UInt32]) -> Attr { Attr(type: type, payload: values.flatMap(le32)) }
    static func nest(_ type: UInt16, _ inner: [Attr]) -> Attr { Attr(type: type, payload: encode(inner)) }

    var u32s: [UInt32] {
        stride(from: 0, to: payload.count - 3, by: 4).map { i in
            (0..<4).reduce(UInt32(0)) { $0 | UInt32(payload[i + $1]) << (8 * $1) }
        }
    }

    static func decode(_ bytes: ArraySlice<UInt8>) -> [Attr] {
        var out: [Attr] = [], i = bytes.startIndex
        while i + 4 <= bytes.endIndex {
            let len = Int(bytes[i]) | Int(bytes[i + 1]) << 8
            let type = (UInt16(bytes[i + 2]) | UInt16(bytes[i + 3]) << 8) & 0x3fff
            guard len >= 4, i + len <= bytes.endIndex else { break }
            out.append(Attr(type: type, payload: Array(bytes[(i + 4)..<(i + len)])))
            i += (len + 3) & ~3
        }
        return out
    }

    static func encode(_ attrs: [Attr]) -> [UInt8] {
        attrs.flatMap { a -> [UInt8] in
            let len = 4 + a.payload.count
            return le16(UInt16(len)) + le16(a.type) + a.payload + [UInt8](repeating: 0, count: (4 - len % 4) % 4)
        }
    }
}

private func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
private func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xff) } }

/// The single attribute inside IFLA_VFINFO_LIST → IFLA_VF_INFO of a built request,
/// after checking the header: RTM_SETLINK on ifindex 7.
private func vfAttribute(_ s: VFSetting, vf: Int = 0) throws -> Attr {
    let bytes = try #require(VFMessage.bytes(pfIndex: 7, vf: vf, s))
    #expect(UInt16(bytes[4]) | UInt16(bytes[5]) << 8 == UAPI.rtmSetLink)
    #expect(Array(bytes[20..<24]) == le32(7))                        // ifinfomsg.ifi_index
    let top = Attr.decode(bytes[32...])
    let list = try #require(top.first { $0.type == UAPI.iflaVFInfoList })
    let infos = Attr.decode(list.payload[...])
    try #require(infos.count == 1 && infos[0].type == UAPI.vfInfo)
    let inner = Attr.decode(infos[0].payload[...])
    try #require(inner.count == 1, "one setting per message, got \(inner.map(\.type))")
    return inner[0]
}

@Suite("VF requests: the RTM_SETLINK bytes")
struct VFMessageTests {
    @Test("802.1Q VLAN: the plain IFLA_VF_VLAN {vf, vlan, qos}")
    func vlan() throws {
        let a = try vfAttribute(.vlan(VFVLAN(id: 12, qos: 3)), vf: 2)
        #expect(a.type == UAPI.vfVLAN)
        #expect(a.u32s == [2, 12, 3])
    }

    @Test("802.1ad VLAN: IFLA_VF_VLAN_LIST with the protocol in network order (88 a8)")
    func vlan8021ad() throws {
        let a = try vfAttribute(.vlan(VFVLAN(id: 100, qos: 0, proto: .dot1ad)), vf: 1)
        #expect(a.type == UAPI.vfVLANList)
        let info = try #require(Attr.decode(a.payload[...]).first)
        #expect(info.type == UAPI.vfVLANInfo)
        #expect(Array(info.payload[0..<12]) == [1, 100, 0].flatMap(le32))
        #expect(Array(info.payload[12..<14]) == [0x88, 0xa8])
    }

    @Test("clearing the VLAN sends vlan 0 qos 0")
    func noVLAN() throws {
        #expect(try vfAttribute(.vlan(VFVLAN(id: 0))).u32s == [0, 0, 0])
    }

    @Test("MAC: IFLA_VF_MAC {vf, mac[32]}")
    func mac() throws {
        let a = try vfAttribute(.mac(MACAddress("02:00:00:00:00:10")!), vf: 3)
        #expect(a.type == UAPI.vfMAC)
        #expect(a.payload == le32(3) + [2, 0, 0, 0, 0, 0x10] + [UInt8](repeating: 0, count: 26))
    }

    @Test("flags and rates: spoofchk, trust, link state, RSS query, IFLA_VF_TX_RATE, IFLA_VF_RATE", arguments: [
        (VFSetting.spoofCheck(true), UAPI.vfSpoofchk, [UInt32(4), 1]),
        (.spoofCheck(false), UAPI.vfSpoofchk, [4, 0]),
        (.trust(true), UAPI.vfTrust, [4, 1]),
        (.linkState(.disable), UAPI.vfLinkState, [4, 2]),
        (.linkState(.enable), UAPI.vfLinkState, [4, 1]),
        (.linkState(.auto), UAPI.vfLinkState, [4, 0]),
        (.maxTxRate(250), UAPI.vfTxRate, [4, 250]),
        (.rate(VFRate(min: 100, max: 500)), UAPI.vfRate, [4, 100, 500]),   // struct ifla_vf_rate {vf, min, max}
        (.queryRSS(true), UAPI.vfRSSQuery, [4, 1]),
        (.queryRSS(false), UAPI.vfRSSQuery, [4, 0]),
    ])
    func scalar(setting: VFSetting, type: UInt16, words: [UInt32]) throws {
        let a = try vfAttribute(setting, vf: 4)
        #expect(a.type == type)
        #expect(a.u32s == words)
    }
}

@Suite("VF requests: values, validation and errors")
struct SetVFTests {
    @Test("settings go out one by one, in the kernel's order, each with its ip words")
    func order() {
        let r = SetVF(pfIndex: 3, pfName: "eth1", vf: 0, mac: MACAddress("02:00:00:00:00:10"),
                      vlan: VFVLAN(id: 12), maxTxRate: 0, spoofCheck: true, linkState: .auto, trust: false)
        #expect(r.settings.map(\.description) == ["mac 02:00:00:00:00:10", "vlan 12", "max_tx_rate 0",
                                                  "spoofchk on", "state auto", "trust off"])
        #expect(r.settings.map(\.name) == ["mac", "vlan", "max_tx_rate", "spoofchk", "link-state", "trust"])
        #expect(SetVF(pfIndex: 3, pfName: "eth1", vf: 0).settings.isEmpty)
        let both = SetVF(pfIndex: 3, pfName: "eth1", vf: 0, maxTxRate: 900, rate: VFRate(min: 100, max: 500), queryRSS: true)
        #expect(both.settings.map(\.description) == ["min_tx_rate 100 max_tx_rate 500", "query_rss on"])
    }

    @Test("out-of-range values are refused before the kernel sees them", arguments: [
        (SetVF(pfIndex: 3, pfName: "eth1", vf: 0, vlan: VFVLAN(id: 4096)), "eth1 vf 0 vlan: 4096 is not in 0...4095"),
        (SetVF(pfIndex: 3, pfName: "eth1", vf: 0, vlan: VFVLAN(id: 5, qos: 8)), "eth1 vf 0 qos: 8 is not in 0...7"),
        (SetVF(pfIndex: 3, pfName: "eth1", vf: 0, vlan: VFVLAN(id: 0, qos: 2)), "eth1 vf 0 qos: qos 2 needs a VLAN id"),
        (SetVF(pfIndex: 3, pfName: "eth1", vf: 0, mac: MACAddress("01:00:5e:00:00:01")),
         "eth1 vf 0 mac: 01:00:5e:00:00:01 is a multicast address"),
        (SetVF(pfIndex: 3, pfName: "eth1", vf: 0, maxTxRate: -1), "eth1 vf 0 max_tx_rate: -1 Mb/s is out of range"),
        (SetVF(pfIndex: 3, pfName: "eth1", vf: -1, trust: true), "eth1 vf -1 vf: index -1 is out of range"),
        (SetVF(pfIndex: 0, pfName: "eth1", vf: 0, trust: true), "eth1 vf 0 pf: ifindex 0 is not a link"),
    ])
    func invalid(request: SetVF, message: String) {
        let e = #expect(throws: VFRequestError.self) { try request.validate() }
        #expect(e?.description == message)
    }

    @Test("a zero MAC is allowed: it clears the PF-set MAC")
    func zeroMAC() throws {
        try SetVF(pfIndex: 3, pfName: "eth1", vf: 0, mac: MACAddress("00:00:00:00:00:00")).validate()
    }

    @Test("a refusal names PF, VF, setting, errno, and the driver's missing feature", arguments: [
        (VFSetting.linkState(.enable), Errno.notSupported, String?("igb"),
         "RTM_SETLINK eth1 vf 0 link-state in host: Operation not supported (EOPNOTSUPP) — driver igb has no per-VF link state"),
        (.trust(true), .notSupported, nil,
         "RTM_SETLINK eth1 vf 0 trust in host: Operation not supported (EOPNOTSUPP) — the PF's driver cannot set VF trust"),
        (.vlan(VFVLAN(id: 5, proto: .dot1ad)), Errno(rawValue: 93), "igb",
         "RTM_SETLINK eth1 vf 0 vlan in host: Protocol not supported (EPROTONOSUPPORT) — driver igb supports only 802.1Q VF VLANs"),
        (.mac(MACAddress("02:00:00:00:00:10")!), .invalid, "igb",
         "RTM_SETLINK eth1 vf 0 mac in host: Invalid argument (EINVAL)"),
    ])
    func refusal(setting: VFSetting, errno: Errno, driver: String?, message: String) {
        let cause = NetlinkError(operation: "RTM_SETLINK", object: "eth1 vf 0 \(setting.name) in host", errno: errno)
        let e = VFSettingError(pf: "eth1", vf: 0, setting: setting, driver: driver, applied: [], cause: cause)
        #expect(e.description == message)
        #expect(e.isUnsupported == (errno != .invalid))
    }
}

@Suite("VF settings: reading a kernel RTM_NEWLINK")
struct VFSettingsParseTests {
    /// IFLA_VF_INFO as the 6.x kernel fills it for one VF (rtnl_fill_vfinfo order).
    fileprivate static func vfInfo(_ vf: UInt32, mac: [UInt8], vlan: UInt32, qos: UInt32, proto: [UInt8], maxRate: UInt32,
                       spoofchk: UInt32, linkState: UInt32, trust: UInt32, minRate: UInt32 = 0, rssQuery: UInt32 = UInt32.max) -> Attr {
        .nest(UAPI.vfInfo, [
            Attr(type: UAPI.vfMAC, payload: le32(vf) + mac + [UInt8](repeating: 0, count: 26)),
            .u32s(UAPI.vfVLAN, [vf, vlan, qos]),
            .u32s(UAPI.vfRate, [vf, minRate, maxRate]),
            .u32s(UAPI.vfTxRate, [vf, maxRate]),
            .u32s(UAPI.vfSpoofchk, [vf, spoofchk]),
            .u32s(UAPI.vfLinkState, [vf, linkState]),
            .u32s(UAPI.vfRSSQuery, [vf, rssQuery]),
            .u32s(UAPI.vfTrust, [vf, trust]),
            .nest(UAPI.vfVLANList, [Attr(type: UAPI.vfVLANInfo, payload: [vf, vlan, qos].flatMap(le32) + proto + [0, 0])]),
        ])
    }

    /// The reply to RTM_GETLINK with RTEXT_FILTER_VF for a PF with two VFs.
    static func reply() -> [UInt8] {
        let attrs = Attr.encode([
            Attr(type: UAPI.iflaIfname, payload: Array("eth1".utf8) + [0]),
            .u32s(UAPI.iflaNumVF, [2]),
            .nest(UAPI.iflaVFInfoList, [
                vfInfo(0, mac: [2, 0, 0, 0, 0, 0x10], vlan: 12, qos: 3, proto: [0x81, 0x00], maxRate: 100,
                       spoofchk: 1, linkState: 0, trust: 0, minRate: 40, rssQuery: 1),
                vfInfo(1, mac: [0, 0, 0, 0, 0, 0], vlan: 100, qos: 0, proto: [0x88, 0xa8], maxRate: 0,
                       spoofchk: UInt32.max, linkState: 2, trust: 1),
            ]),
        ])
        let ifinfo: [UInt8] = [0, 0] + le16(1) + le32(3) + le32(0) + le32(0)   // AF_UNSPEC, ARPHRD_ETHER, ifindex 3
        let len = UInt32(16 + ifinfo.count + attrs.count)
        return le32(len) + le16(UAPI.rtmNewLink) + le16(0) + le32(0) + le32(0) + ifinfo + attrs
    }

    @Test("MAC, VLAN (protocol back in host order), rates, spoof check, trust, link state, RSS query per VF; -1 reads as not reported")
    func parse() throws {
        let settings = try #require(parseLink(Self.reply()))
        #expect(settings == [
            VFSettings(index: 0, mac: MACAddress("02:00:00:00:00:10"), vlan: VFVLAN(id: 12, qos: 3, proto: .dot1q),
                       spoofCheck: true, trust: false, maxTxRate: 100, minTxRate: 40, linkState: .auto, queryRSS: true),
            VFSettings(index: 1, mac: nil, vlan: VFVLAN(id: 100, qos: 0, proto: .dot1ad),
                       spoofCheck: nil, trust: true, maxTxRate: 0, minTxRate: 0, linkState: .disable),
        ])
    }
}

/// Runs libnl's own link parser (`nl_msg_parse`, the path `rtnl_link_get_kernel`
/// takes) over `bytes` and reads the VFs like `RouteSocket.vfSettings` does.
private func parseLink(_ bytes: [UInt8]) -> [VFSettings]? {
    var copy = bytes
    let msg = copy.withUnsafeMutableBytes { nlmsg_convert($0.baseAddress!.assumingMemoryBound(to: nlmsghdr.self)) }
    guard let msg else { return nil }
    defer { nlmsg_free(msg) }
    nlmsg_set_proto(msg, NETLINK_ROUTE)
    final class Box { var settings: [VFSettings]? }
    let box = Box()
    let rc = nl_msg_parse(msg, { object, arg in
        let box = Unmanaged<Box>.fromOpaque(arg!).takeUnretainedValue()
        box.settings = RouteSocket.vfSettings(of: object!)
    }, Unmanaged.passUnretained(box).toOpaque())
    return rc == 0 ? box.settings : nil
}
