import Foundation
import PlumbTypes

/// sriov-cni's configuration: its keys at the top level of the network configuration
/// (`deviceID`, `vlan`, `spoofchk`: "on", …), so that a NetworkAttachmentDefinition written
/// for sriov-cni works with `type` changed to `plumb` — or unchanged, with Plumb installed as
/// `sriov`. The same values are accepted and refused as sriov-cni's documentation says, and
/// mapped onto Plumb's VF attachment (`CNIConfig.VF`).
enum SRIOVCNIConfig {
    /// The keys that make a configuration sriov-cni's (logLevel and logFile are accepted and
    /// ignored: Plumb's errors go to stdout as the spec says, and to stderr).
    static let settingKeys: Set<String> = ["deviceID", "vlan", "vlanQoS", "vlanProto", "mac", "spoofchk", "trust",
                                           "link_state", "min_tx_rate", "max_tx_rate"]
    static let keys: Set<String> = settingKeys.union(["logLevel", "logFile"])

    static func isUsed(_ f: CNIFields) -> Bool { settingKeys.contains { f.has($0) } }

    /// The VF from the top-level keys; `deviceID` may come from runtimeConfig instead
    /// (a runtime handing the device plugin's choice over as a capability).
    static func vf(_ f: CNIFields, runtimeDeviceID: String?) throws -> CNIConfig.VF {
        guard let deviceID = try f.string("deviceID") ?? runtimeDeviceID else {
            throw f.invalid("deviceID", "is required: the VF's PCI address (Multus sets it from the SR-IOV device plugin's allocation)")
        }
        guard PCIAddress.isValid(deviceID) else {
            throw f.invalid("deviceID", "\"\(deviceID.prefix(40))\" is not a PCI address (DDDD:BB:DD.F)")
        }
        var vf = CNIConfig.VF(deviceID: deviceID)
        try vlan(f, into: &vf)
        if let m = try f.string("mac") { vf.mac = try CNIRuntimeConfig.unicastMAC(m, field: "mac", f) }
        vf.spoofCheck = try f.onOff("spoofchk")
        vf.trust = try f.onOff("trust")
        vf.linkState = try f.choice("link_state", VFLinkState.allCases.map(\.rawValue)).flatMap(VFLinkState.init)
        vf.minTxRate = try f.int("min_tx_rate", in: 0...Int(Int32.max))
        vf.maxTxRate = try f.int("max_tx_rate", in: 0...Int(Int32.max))
        if let min = vf.minTxRate, let max = vf.maxTxRate, max > 0, min > max {
            throw f.invalid("min_tx_rate", "\(min) is above max_tx_rate \(max)")
        }
        return vf
    }

    /// vlan 0-4094 (0: none); vlanQoS 0-7 and vlanProto only with vlan; a non-zero QoS
    /// and 802.1ad only with a non-zero vlan.
    static func vlan(_ f: CNIFields, into vf: inout CNIConfig.VF) throws {
        vf.vlan = try f.int("vlan", in: 0...4094)
        vf.qos = try f.int("vlanQoS", in: 0...7)
        let proto = try f.choice("vlanProto", ["802.1q", "802.1ad"])
        guard let id = vf.vlan else {
            if vf.qos != nil { throw f.invalid("vlanQoS", "needs vlan") }
            if proto != nil { throw f.invalid("vlanProto", "needs vlan") }
            return
        }
        if (vf.qos ?? 0) != 0 && id == 0 { throw f.invalid("vlanQoS", "a non-zero QoS needs a non-zero vlan") }
        if proto == "802.1ad" && id == 0 { throw f.invalid("vlanProto", "802.1ad needs a non-zero vlan") }
        vf.vlanProto = proto == "802.1ad" ? .dot1ad : (proto == nil ? nil : .dot1q)
    }
}

enum PCIAddress {
    /// `0000:03:02.3`: domain, bus, device (0-1f), function (0-7), in hex.
    static func isValid(_ s: String) -> Bool {
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2 else { return false }
        let df = parts[2].split(separator: ".", omittingEmptySubsequences: false)
        guard df.count == 2, df[0].count == 2, df[1].count == 1,
              let dev = Int(df[0], radix: 16), dev < 32, let fn = Int(df[1], radix: 16), fn < 8 else { return false }
        return Int(parts[0], radix: 16) != nil && Int(parts[1], radix: 16) != nil
    }
}
