import PlumbTypes
import PlumbNetlink
/// What a driver's source says about SR-IOV, kept in one table: which PF-side VF settings
/// it implements (and why not, where not), how its VF count changes, which eswitch modes
/// devlink offers, which driver its VFs get. The kernel cannot be asked most of this
/// without trying (a refused setting is an EOPNOTSUPP half-way through an apply), so the
/// plan reads it here; `SRIOVCapabilities` merges it with what the kernel shows.
public struct DriverFacts: Sendable, Equatable {
    public var driver: String
    /// The driver VFs of this PF bind to (nil: the driver is a VF driver, or makes no VF devices).
    public var vfDriver: String?
    public var numVFs: NumVFsRule
    public var settable: Set<VFFeature>
    /// Why a setting the driver lacks is refused, by setting (from the driver's source).
    public var refused: [VFFeature: String]
    /// Empty: no devlink eswitch (legacy SR-IOV only).
    public var eswitchModes: [EswitchMode]

    /// Whether the PF-side settings of its VFs outlive a VF count of 0. A driver whose VFs
    /// are devices (igb, ixgbe, mlx5 …) frees their configuration with them; one whose VFs
    /// are no devices keeps it in the PF's own table (netdevsim's vfconfigs, sized by
    /// max_vfs at probe), so the next VFs start with the old settings unless restored.
    public var vfSettingsOutliveVFs = false
    /// What a VF of this driver looks like right after it is enabled: the "before" of a VF
    /// made by the same apply, which destroy restores.
    public var freshVF = freshVFSettings

    /// Whether `feature` can be set, and if not, why (nil: it can).
    public func refusal(_ feature: VFFeature) -> String? {
        settable.contains(feature) ? nil : (refused[feature] ?? "\(driver) does not implement it")
    }
}

/// The drivers Plumb knows (Linux 6.12, the kernel of Debian 12's backports and of the lab).
/// A driver missing here is not refused anything: what the kernel reports decides, and the
/// kernel's own refusal names the setting at apply.
public enum DriverFactTable {
    static let everySetting = Set(VFFeature.allCases)

    public static let all: [DriverFacts] = [
        // drivers/net/ethernet/intel/igb: 82576, I350. The seed's NIC (QEMU emulates an 82576).
        DriverFacts(driver: "igb", vfDriver: "igbvf", numVFs: .throughZero,
                    settable: [.mac, .vlan, .qos, .spoofCheck, .trust, .maxTxRate],
                    refused: [.linkState: "igb has no ndo_set_vf_link_state",
                              .minTxRate: "igb_ndo_set_vf_bw refuses a minimum rate (EINVAL)",
                              .vlanProto8021ad: "igb_ndo_set_vf_vlan takes only 802.1Q (EPROTONOSUPPORT)",
                              .queryRSS: "igb has no ndo_set_vf_rss_query_en"],
                    eswitchModes: []),
        // igb's VFs: a VF driver, so a device without sriov_totalvfs (no capabilities to show).
        DriverFacts(driver: "igbvf", vfDriver: nil, numVFs: .throughZero, settable: [],
                    refused: Dictionary(uniqueKeysWithValues: VFFeature.allCases.map { ($0, "igbvf drives a VF: it has no VFs of its own") }),
                    eswitchModes: []),
        // drivers/net/ethernet/intel/ixgbe: 82599, X540, X550. Link state since Linux 5.18
        // (ixgbe_ndo_set_vf_link_state); RSS query on 82599 and later.
        DriverFacts(driver: "ixgbe", vfDriver: "ixgbevf", numVFs: .throughZero,
                    settable: [.mac, .vlan, .qos, .spoofCheck, .trust, .linkState, .maxTxRate, .queryRSS],
                    refused: [.minTxRate: "ixgbe_ndo_set_vf_bw refuses a minimum rate (EINVAL)",
                              .vlanProto8021ad: "ixgbe_ndo_set_vf_vlan takes only 802.1Q (EPROTONOSUPPORT)"],
                    eswitchModes: []),
        // drivers/net/ethernet/intel/i40e: X710, XL710, XXV710.
        DriverFacts(driver: "i40e", vfDriver: "iavf", numVFs: .throughZero,
                    settable: [.mac, .vlan, .qos, .spoofCheck, .trust, .maxTxRate, .linkState],
                    refused: [.minTxRate: "i40e_ndo_set_vf_bw refuses a minimum rate (EINVAL)",
                              .vlanProto8021ad: "i40e_ndo_set_vf_port_vlan takes only 802.1Q (EPROTONOSUPPORT)",
                              .queryRSS: "i40e has no ndo_set_vf_rss_query_en"],
                    eswitchModes: []),
        // drivers/net/ethernet/intel/ice: E810. 802.1ad port VLANs only in double VLAN mode
        // (the kernel refuses them with EPROTONOSUPPORT otherwise).
        DriverFacts(driver: "ice", vfDriver: "iavf", numVFs: .throughZero,
                    settable: [.mac, .vlan, .qos, .vlanProto8021ad, .spoofCheck, .trust, .linkState, .minTxRate, .maxTxRate],
                    refused: [.queryRSS: "ice has no ndo_set_vf_rss_query_en"],
                    eswitchModes: [.legacy, .switchdev]),
        // drivers/net/ethernet/mellanox/mlx5/core: ConnectX-4 and later; VFs use mlx5_core too.
        DriverFacts(driver: "mlx5_core", vfDriver: "mlx5_core", numVFs: .throughZero,
                    settable: [.mac, .vlan, .qos, .spoofCheck, .trust, .linkState, .minTxRate, .maxTxRate],
                    refused: [.vlanProto8021ad: "mlx5e_set_vf_vlan takes only 802.1Q (EPROTONOSUPPORT)",
                              .queryRSS: "mlx5_core has no ndo_set_vf_rss_query_en"],
                    eswitchModes: [.legacy, .switchdev]),
        // drivers/net/netdevsim: keeps every VF setting it is given; no VF devices.
        // Its vfconfigs are zeroed at probe (spoof check off, link state auto, RSS query off)
        // and kept across VF counts.
        DriverFacts(driver: "netdevsim", vfDriver: nil, numVFs: .throughZero, settable: everySetting, refused: [:],
                    eswitchModes: [.legacy, .switchdev], vfSettingsOutliveVFs: true,
                    freshVF: VFSettings(index: 0, mac: nil, vlan: VFVLAN(id: 0), spoofCheck: false, trust: false,
                                        maxTxRate: 0, minTxRate: 0, linkState: .auto, queryRSS: false)),
    ]

    /// A new VF of `driver`, as its facts say; igb's (spoof check on) for a driver without facts.
    public static func freshVF(_ driver: String?) -> VFSettings { facts(driver)?.freshVF ?? freshVFSettings }

    /// The facts of `driver`; nil for a driver Plumb has none for.
    public static func facts(_ driver: String?) -> DriverFacts? {
        guard let driver else { return nil }
        return all.first { $0.driver == driver }
    }
}
