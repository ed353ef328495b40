import PlumbTypes
import Testing
@testable import PlumbManifest

/// `ipvlan: {parent, mode}` and `vlan: {parent, id, protocol}` as a user writes them, and
/// the diagnostics for what the kernel would refuse or silently change, each with its path and line.
@Suite("Manifest: ipvlan and vlan interfaces")
struct IpvlanVlanManifestTests {
    func yaml(_ key: String, _ value: String, extra: String = "", more: String = "") -> String {
        """
        version: 1
        containers:
          - name: app
            netns: app
            interfaces:
              - name: eth1
                \(key): \(value)
                addresses: [192.168.1.50/24]\(extra)\(more)
        """
    }

    @Test("ipvlan: parent, each mode and each flag decode; the mode defaults to l2, the flag to bridge")
    func ipvlanDecodes() throws {
        for mode in IpvlanMode.allCases {
            let m = try ManifestLoader.parse(yaml("ipvlan", "{parent: eth0, mode: \(mode.rawValue)}"), defaultName: "t")
            #expect(m.containers[0].interfaces[0].kind == .ipvlan(parent: "eth0", mode: mode, flag: .bridge))
        }
        let m = try ManifestLoader.parse(yaml("ipvlan", "{parent: eth0}"), defaultName: "t")
        #expect(m.containers[0].interfaces[0].kind == .ipvlan(parent: "eth0", mode: .l2, flag: .bridge))
        for flag in IpvlanFlag.allCases {
            let m = try ManifestLoader.parse(yaml("ipvlan", "{parent: eth0, mode: l3, flags: \(flag.rawValue)}"), defaultName: "t")
            #expect(m.containers[0].interfaces[0].kind == .ipvlan(parent: "eth0", mode: .l3, flag: flag))
        }
    }

    @Test("vlan: parent, id and each protocol decode; the protocol defaults to 802.1Q")
    func vlanDecodes() throws {
        for proto in VLANProtocol.allCases {
            let m = try ManifestLoader.parse(yaml("vlan", "{parent: eth0, id: 12, protocol: \(proto.rawValue)}"), defaultName: "t")
            #expect(m.containers[0].interfaces[0].kind == .vlan(parent: "eth0", id: 12, protocol: proto))
        }
        let m = try ManifestLoader.parse(yaml("vlan", "{parent: eth0, id: 4094}"), defaultName: "t")
        #expect(m.containers[0].interfaces[0].kind == .vlan(parent: "eth0", id: 4094, protocol: .dot1q))
    }

    @Test("ipvlan refusals: an unknown mode or flag, a MAC, a missing parent, a bad parent name, modes or flags that differ on one parent")
    func ipvlanRefusals() {
        #expect(problems(yaml("ipvlan", "{parent: eth0, mode: l4}")) == [
            #"containers[0].interfaces[0].ipvlan.mode: expected one of l2, l3, l3s, got "l4" (line 7)"#])
        #expect(problems(yaml("ipvlan", "{parent: eth0}", extra: "\n        mac: \"02:00:00:00:00:01\"")) == [
            "containers[0].interfaces[0].mac: an ipvlan has its parent's MAC (eth0's) and cannot have its own; leave mac out or use a macvlan (line 9)"])
        #expect(problems(yaml("ipvlan", "{parent: eth0, flags: hairpin}")) == [
            #"containers[0].interfaces[0].ipvlan.flags: expected one of bridge, private, vepa, got "hairpin" (line 7)"#])
        #expect(problems(yaml("ipvlan", "{mode: l3}")).first?.hasPrefix("containers[0].interfaces[0].ipvlan.parent: ") == true)
        #expect(problems(yaml("ipvlan", "{parent: \"eth/0\"}")).first?.hasPrefix("containers[0].interfaces[0].ipvlan.parent: \"eth/0\" is not a valid interface name") == true)
        let twoModes = problems(yaml("ipvlan", "{parent: eth0, mode: l2}", more: "\n      - {name: eth2, ipvlan: {parent: eth0, mode: l3}}"))
        #expect(twoModes == ["containers[0].interfaces[1].ipvlan.mode: l3 differs from containers[0].interfaces[0].ipvlan.mode's l2 on the same parent eth0: the kernel keeps one ipvlan mode per parent (line 9)"], "\(twoModes)")
        let twoFlags = problems(yaml("ipvlan", "{parent: eth0, flags: private}", more: "\n      - {name: eth2, ipvlan: {parent: eth0}}"))
        #expect(twoFlags == ["containers[0].interfaces[1].ipvlan.flags: bridge differs from containers[0].interfaces[0].ipvlan.flags's private on the same parent eth0: the kernel keeps one ipvlan flag per parent (line 9)"], "\(twoFlags)")
    }

    @Test("vlan refusals: an id out of range, an unknown protocol, no id, a sibling parent listed after it, a duplicate id; a parent by its own name is the host's")
    func vlanRefusals() {
        for id in [0, 4095, -1] {
            #expect(problems(yaml("vlan", "{parent: eth0, id: \(id)}")) == [
                "containers[0].interfaces[0].vlan.id: \(id) is out of range 1-4094 (line 7)"], "\(id)")
        }
        #expect(problems(yaml("vlan", "{parent: eth0, id: 5, protocol: 802.1x}")) == [
            #"containers[0].interfaces[0].vlan.protocol: expected one of 802.1Q, 802.1ad, got "802.1x" (line 7)"#])
        #expect(problems(yaml("vlan", "{parent: eth0}")).first?.hasPrefix("containers[0].interfaces[0].vlan.id: ") == true)
        // A parent by the VLAN's own name is the host's link, not the VLAN itself.
        #expect(problems(yaml("vlan", "{parent: eth1, id: 5}")).isEmpty)
        #expect(problems(yaml("vlan", "{parent: eth2, id: 5}", more: "\n      - {name: eth2, macvlan: {parent: eth0}}")) == [
            "containers[0].interfaces[0].vlan.parent: parent eth2 is interfaces[1] of the same container: list it before the VLAN on it (line 7)"])
        #expect(problems(yaml("vlan", "{parent: eth0, id: 5}", more: "\n      - {name: eth2, vlan: {parent: eth0, id: 5}}")) == [
            "containers[0].interfaces[1].vlan.id: containers[0].interfaces[0].vlan.id is already VLAN 5 (802.1Q) of eth0: the kernel allows one per parent (line 9)"])
        // Another protocol or another id on the same parent is fine; so is the same id on a sibling parent.
        #expect(problems(yaml("vlan", "{parent: eth0, id: 5}", more: "\n      - {name: eth2, vlan: {parent: eth0, id: 5, protocol: 802.1ad}}")).isEmpty)
        #expect(problems(yaml("vlan", "{parent: eth0, id: 5}", more: "\n      - {name: eth2, vlan: {parent: eth1, id: 5}}")).isEmpty)
    }
}
