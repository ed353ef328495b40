import PlumbTypes

/// Equivalent to: `echo N > /sys/class/net/PF/device/sriov_numvfs`.
public struct NumVFsWrite: Hashable, Sendable, Codable {
    public var pf: String
    public var count: Change<Int>
}

/// Equivalent to: `ip link set dev PF up` (its undo, and destroy's restore: `ip link set dev PF down`).
/// igb gives VFs made while their PF is administratively down no link, so a PF whose VFs a
/// manifest uses is brought up before they are made or configured.
public struct PFAdminChange: Hashable, Sendable, Codable {
    public var pf: String
    public var up: Change<Bool>
    public init(pf: String, up: Change<Bool>) { self.pf = pf; self.up = up }
}

/// The files Plumb may write: a fixed set, never a path from input.
public enum ModprobeFile: String, Hashable, Sendable, Codable, CaseIterable {
    /// `options igb max_vfs=N` (nics[].sriov.persist).
    case igbMaxVFs = "/etc/modprobe.d/plumb-igb.conf"
    public var path: String { rawValue }
}

/// Writes the modprobe.d file (nil: removes it). Equivalent to:
/// `echo 'options igb max_vfs=N' > /etc/modprobe.d/plumb-igb.conf`.
public struct ModprobeWrite: Hashable, Sendable, Codable {
    public var file: ModprobeFile
    public var text: Change<String?>
    /// The VF count written (for the command text), nil for a restore.
    public var count: Int?
}

/// The PF-side settings of one VF that change; each with the value it replaces.
public struct VFSettingsChange: Hashable, Sendable, Codable {
    public var mac: Change<MACAddress>?
    public var vlan: Change<VFVLAN>?
    public var maxTxRate: Change<Int>?
    /// The minimum rate (IFLA_VF_RATE, sent with the maximum: the one the change leaves or sets).
    public var minTxRate: Change<Int>?
    public var spoofCheck: Change<Bool>?
    public var linkState: Change<VFLinkState>?
    public var queryRSS: Change<Bool>?
    public var trust: Change<Bool>?
    public init(mac: Change<MACAddress>? = nil, vlan: Change<VFVLAN>? = nil, maxTxRate: Change<Int>? = nil,
                minTxRate: Change<Int>? = nil, spoofCheck: Change<Bool>? = nil, linkState: Change<VFLinkState>? = nil,
                queryRSS: Change<Bool>? = nil, trust: Change<Bool>? = nil) {
        self.mac = mac; self.vlan = vlan; self.maxTxRate = maxTxRate; self.minTxRate = minTxRate; self.spoofCheck = spoofCheck
        self.linkState = linkState; self.queryRSS = queryRSS; self.trust = trust
    }
    public var isEmpty: Bool {
        mac == nil && vlan == nil && maxTxRate == nil && minTxRate == nil && spoofCheck == nil && linkState == nil
            && queryRSS == nil && trust == nil
    }
    public var inverted: VFSettingsChange {
        VFSettingsChange(mac: mac.inverted(), vlan: vlan.inverted(), maxTxRate: maxTxRate.inverted(), minTxRate: minTxRate.inverted(),
                         spoofCheck: spoofCheck.inverted(), linkState: linkState.inverted(), queryRSS: queryRSS.inverted(),
                         trust: trust.inverted())
    }
}

/// Equivalent to: `ip link set dev PF vf N [mac M] [vlan V qos Q proto P] [min_tx_rate MIN] [max_tx_rate R] [spoofchk on|off]
/// [state S] [query_rss on|off] [trust on|off]`.
public struct VFUpdate: Hashable, Sendable, Codable {
    public var pf: String
    public var vf: Int
    public var driver: String?
    public var settings: VFSettingsChange
}

/// Equivalent to: `ip link set dev VF netns NS name NAME; ip -n NS link set dev NAME [mtu M] alias A up`.
/// `hostName` nil: the VF is enabled by the same apply, its name is read from sysfs then.
public struct VFMove: Hashable, Sendable, Codable {
    public var pf: String
    public var vf: Int
    public var hostName: String?
    public var to: LinkRef
    /// The PF-assigned MAC the VF netdev must take over (a VF keeps its old MAC otherwise).
    public var mac: MACAddress?
    public var mtu: Int?
    public var alias: String
    /// The VF netdev's MTU and alias in the host namespace before the move (nil: the VF is
    /// enabled by the same apply), put back when it returns.
    public var previous: LinkSettings? = nil
}

/// Equivalent to: `ip -n NS link set dev NAME netns 1 name HOSTNAME` (the kernel picks a name when none is known),
/// then `ip link set dev HOSTNAME mtu M alias A` with what the netdev had before it was moved.
public struct VFReturn: Hashable, Sendable, Codable {
    public var pf: String
    public var vf: Int
    public var from: LinkRef
    public var hostName: String?
    public var alias: String
    /// What the netdev gets back at home (its MTU and alias before the move).
    public var restore: LinkSettings? = nil
}

/// Equivalent to: `devlink dev eswitch set BUS/DEV mode legacy|switchdev`. `pf` names the
/// PF's netdev (for the plan and the record); `device` is what devlink addresses.
public struct EswitchChange: Hashable, Sendable, Codable {
    public var pf: String
    public var device: DevlinkHandle
    public var mode: Change<EswitchMode>
    public init(pf: String, device: DevlinkHandle, mode: Change<EswitchMode>) { self.pf = pf; self.device = device; self.mode = mode }
}

/// A VF's PCI device bound to another driver: to vfio-pci for a userspace (DPDK) VF, back to
/// the driver it had at destroy. Equivalent to: `echo DRIVER > /sys/bus/pci/devices/PCI/driver_override;
/// echo PCI > /sys/bus/pci/devices/PCI/driver/unbind; echo PCI > /sys/bus/pci/drivers_probe`
/// (a driver given back: then `echo > …/driver_override`). nil: no driver (the kernel's choice).
public struct VFBind: Hashable, Sendable, Codable {
    public var pf: String
    public var vf: Int
    /// nil: the VF is made by the same apply; its address is read from sysfs then.
    public var pciAddress: String?
    public var driver: Change<String?>
    /// N of /dev/vfio/N (the VF's IOMMU group), for the plan and the record.
    public var iommuGroup: Int?
    public init(pf: String, vf: Int, pciAddress: String?, driver: Change<String?>, iommuGroup: Int?) {
        self.pf = pf; self.vf = vf; self.pciAddress = pciAddress; self.driver = driver; self.iommuGroup = iommuGroup
    }
    /// The driver Plumb binds to userspace VFs (kept as the override so nothing rebinds them).
    public var toUserspace: Bool { driver.to.flatMap(VFUserspaceDriver.init(rawValue:)) != nil }
}
