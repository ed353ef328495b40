import PlumbTypes
import Foundation
import Testing
@testable import PlumbNetlink
import PlumbSystem

// Lab only: the real igb driver on QEMU's emulated 82576 (Tests/lab, scenario
// 05-vf-netlink-xctest runs this binary in the guest with PLUMB_LAB_PF set). Outside
// the lab the variable is unset and the suite does not run; inside, a missing PF
// fails (findPF throws), it never skips. Each test enables 2 VFs and disables them
// again; `ip -j link show` checks what the kernel reports, independently of libnl.

private let labPF = ProcessInfo.processInfo.environment["PLUMB_LAB_PF"]

@Suite("VF netlink on real igb (lab)", .enabled(if: labPF != nil), .serialized)
struct VFLabTests {
    @Test("sysfs: the igb PF, 2 VFs through sriov_numvfs, their netdevs, EBUSY on 2 → 3")
    func sysfs() throws {
        try withVFs(2) { lab in
            #expect(lab.pf.driver == "igb")
            #expect(lab.pf.totalVFs == 7)
            #expect(lab.vfs.map(\.index) == [0, 1])
            for vf in lab.vfs {
                let name = try #require(vf.netdev)
                #expect(try lab.socket.link(name: name) != nil, "VF \(vf.index) netdev \(name) is a link")
                #expect(vf.driver == "igbvf")
            }
            #expect(try SRIOVSysfs().findVF(pci: lab.vfs[1].pciAddress).vf.index == 1)
            let e = #expect(throws: SRIOVError.self) { try SRIOVSysfs().setNumVFs(lab.pf, 3) }
            #expect(e.map { "\($0)" }?.contains("(EBUSY) — 2 VFs are enabled; igb needs 0 before a different non-zero count") == true,
                    "\(String(describing: e))")
        }
    }

    @Test("vlan 12 qos 3, mac, spoofchk off, trust on: set, read back by libnl and by ip; then undone")
    func roundTrip() throws {
        try withVFs(2) { lab in
            let mac = MACAddress("02:00:00:00:00:10")!
            try lab.socket.execute(SetVF(pfIndex: lab.index, pfName: lab.pf.name, vf: 0, mac: mac,
                                         vlan: VFVLAN(id: 12, qos: 3), spoofCheck: false, trust: true, driver: "igb"))
            let s = try #require(try lab.socket.vfSettings(pfIndex: lab.index, pfName: lab.pf.name, vf: 0))
            #expect(s.mac == mac)
            #expect(s.vlan == VFVLAN(id: 12, qos: 3, proto: .dot1q))
            #expect(s.spoofCheck == false)
            #expect(s.trust == true)
            let ip = try ipVF(lab.pf.name, 0)
            #expect(ip["address"] as? String == "02:00:00:00:00:10")
            #expect((ip["vlan_list"] as? [[String: Any]])?.first?["vlan"] as? Int == 12)
            #expect((ip["vlan_list"] as? [[String: Any]])?.first?["qos"] as? Int == 3)
            #expect(ip["spoofchk"] as? Bool == false)
            #expect(ip["trust"] as? Bool == true)

            try lab.socket.execute(SetVF(pfIndex: lab.index, pfName: lab.pf.name, vf: 0,
                                         vlan: VFVLAN(id: 0), spoofCheck: true, trust: false))
            let back = try #require(try lab.socket.vfSettings(pfIndex: lab.index, pfName: lab.pf.name, vf: 0))
            #expect(back.vlan == VFVLAN(id: 0))
            #expect(back.spoofCheck == true && back.trust == false)
            #expect(try lab.socket.vfSettings(pfIndex: lab.index, pfName: lab.pf.name, vf: 1)?.vlan == VFVLAN(id: 0),
                    "VF 1 untouched")
        }
    }

    @Test("max_tx_rate 100 Mb/s on igb once the PF has carrier again after enabling VFs; then 0")
    func rate() throws {
        try withVFs(2) { lab in
            // Enabling VFs resets the PF: its link drops for a moment, and igb refuses a
            // VF rate without link (EINVAL, seen here when set right after the netdevs appear).
            let waited = try lab.socket.waitForCarrier(index: lab.index, name: lab.pf.name, timeout: .seconds(15))
            print("PF carrier after \(waited)")
            try lab.socket.execute(SetVF(pfIndex: lab.index, pfName: lab.pf.name, vf: 1, maxTxRate: 100, driver: "igb"))
            #expect(try lab.socket.vfSettings(pfIndex: lab.index, vf: 1)?.maxTxRate == 100)
            #expect((try ipVF(lab.pf.name, 1)["rate"] as? [String: Any])?["max_tx"] as? Int == 100)
            try lab.socket.execute(SetVF(pfIndex: lab.index, pfName: lab.pf.name, vf: 1, maxTxRate: 0, driver: "igb"))
            #expect(try lab.socket.vfSettings(pfIndex: lab.index, vf: 1)?.maxTxRate == 0)
        }
    }

    @Test("VF counters (raw IFLA_VF_STATS): one entry per VF, each at least what `ip -s` showed just before, dropped included")
    func counters() throws {
        try withVFs(2) { lab in
            let seen = try (0..<2).map { try ipVFStats(lab.pf.name, $0) }
            let stats = try lab.socket.vfStats(pfIndex: lab.index, pfName: lab.pf.name)
            print("VF counters on igb: \(stats); ip -s: \(seen)")
            #expect(stats.map(\.index) == [0, 1])
            for (ours, ip) in zip(stats, seen) {
                // Counters only grow: read second, ours is never below ip's.
                #expect(ours.rxPackets >= (ip["rx"]?["packets"] ?? .max), "\(ours) vs \(ip)")
                #expect(ours.rxBytes >= (ip["rx"]?["bytes"] ?? .max))
                // iproute2 names the transmit pair tx_packets / tx_bytes inside "tx".
                #expect(ours.txPackets >= (ip["tx"]?["tx_packets"] ?? .max))
                #expect(ours.txBytes >= (ip["tx"]?["tx_bytes"] ?? .max))
                #expect(ours.multicast >= (ip["rx"]?["multicast"] ?? .max))
                #expect(ours.broadcast >= (ip["rx"]?["broadcast"] ?? .max))
                #expect(ours.rxDropped.map { $0 >= (ip["rx"]?["dropped"] ?? .max) } == true, "kernel 6.12 sends the dropped pair")
                #expect(ours.txDropped.map { $0 >= (ip["tx"]?["dropped"] ?? .max) } == true)
            }
        }
    }

    @Test("what igb refuses, with errors that say so: link state, 802.1ad, a VF beyond numvfs")
    func refusals() throws {
        try withVFs(2) { lab in
            let state = try refusal(lab, SetVF(pfIndex: lab.index, pfName: lab.pf.name, vf: 0, linkState: .enable, driver: "igb"))
            #expect(state.errno == .notSupported)
            #expect(state.description.hasSuffix("vf 0 link-state in lab: Operation not supported (EOPNOTSUPP) — driver igb has no per-VF link state"),
                    "\(state)")
            let qinq = try refusal(lab, SetVF(pfIndex: lab.index, pfName: lab.pf.name, vf: 0,
                                              vlan: VFVLAN(id: 12, proto: .dot1ad), driver: "igb"))
            #expect(qinq.errno == VFSettingError.protocolNotSupported)
            #expect("\(qinq)".hasSuffix("— driver igb supports only 802.1Q VF VLANs"), "\(qinq)")
            let beyond = try refusal(lab, SetVF(pfIndex: lab.index, pfName: lab.pf.name, vf: 5, vlan: VFVLAN(id: 12)))
            #expect(beyond.errno == .invalid, "\(beyond)")
            // A refusal mid-request reports what already took effect.
            let partial = try refusal(lab, SetVF(pfIndex: lab.index, pfName: lab.pf.name, vf: 1, vlan: VFVLAN(id: 7),
                                                 linkState: .disable, driver: "igb"))
            #expect(partial.applied == [.vlan(VFVLAN(id: 7))])
            #expect(try lab.socket.vfSettings(pfIndex: lab.index, vf: 1)?.vlan.id == 7)
        }
    }
}

/// The PF (up, with `count` VFs whose netdevs exist), its socket and ifindex.
private struct Lab {
    var pf: PhysicalFunction
    var vfs: [VirtualFunction]
    var socket: RouteSocket
    var index: Int
}

private func withVFs(_ count: Int, _ body: (Lab) throws -> Void) throws {
    let sysfs = SRIOVSysfs()
    let pf = try sysfs.findPF(name: try #require(labPF))
    let socket = try RouteSocket(label: "lab")
    let link = try #require(try socket.link(name: pf.name), "PF \(pf.name) as a link")
    try socket.execute(SetLink(index: link.index, up: true))   // igbvf needs the PF up
    for n in NumVFsChange(current: pf.numVFs ?? 0, desired: count).writes { try sysfs.setNumVFs(pf, n) }
    defer { try? sysfs.setNumVFs(pf, 0) }
    let vfs = try sysfs.waitForVFNetdevs(pf: pf, count: count, timeout: .seconds(30))
    try body(Lab(pf: try sysfs.reload(pf), vfs: vfs, socket: socket, index: link.index))
}

private func refusal(_ lab: Lab, _ r: SetVF) throws -> VFSettingError {
    do {
        try lab.socket.execute(r)
    } catch let e as VFSettingError {
        print("igb refused: \(e)")
        return e
    }
    throw LabFailure(description: "igb accepted \(r.settings.map(\.description)) on vf \(r.vf)")
}

private struct LabFailure: Error, CustomStringConvertible { var description: String }

/// `ip -j link show dev PF` → the vfinfo_list entry of VF `vf`.
private func ipVF(_ pf: String, _ vf: Int) throws -> [String: Any] {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["ip", "-j", "link", "show", "dev", pf]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    let links = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
    let list = try #require(links.first?["vfinfo_list"] as? [[String: Any]])
    return try #require(list.first { $0["vf"] as? Int == vf })
}

/// `ip -s -j link show dev PF` → the counters of VF `vf` ("rx"/"tx" → name → value).
private func ipVFStats(_ pf: String, _ vf: Int) throws -> [String: [String: UInt64]] {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["ip", "-s", "-j", "link", "show", "dev", pf]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    let links = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
    let list = try #require(links.first?["vfinfo_list"] as? [[String: Any]])
    let entry = try #require(list.first { $0["vf"] as? Int == vf })
    let stats = try #require(entry["stats"] as? [String: [String: Any]], "ip shows no counters for VF \(vf): \(entry)")
    return stats.mapValues { $0.compactMapValues { ($0 as? NSNumber)?.uint64Value } }
}
