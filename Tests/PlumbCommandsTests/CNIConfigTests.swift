import Foundation
import PlumbEngine
import PlumbManifest
import PlumbNetlink
import PlumbSystem
import PlumbTypes
import Testing
@testable import PlumbCommands

/// Decoding of the CNI network configuration: sriov-cni's documented configurations with only
/// `type` changed, the JSON Multus hands a delegate, and bad values refused naming the field.
@Suite("CNI configuration")
struct CNIConfigTests {
    func parse(_ json: String) throws -> CNIConfig { try CNIConfig.parse(Data(json.utf8)) }

    /// The error a configuration is refused with (nil when it is accepted).
    func refusal(_ json: String) -> CNIError? {
        do { _ = try parse(json); return nil } catch let e as CNIError { return e } catch { return nil }
    }

    // sriov-cni's docs/configuration-reference.md "each field filled out" example, type changed.
    static let everyField = """
    {"cniVersion": "0.3.1", "name": "sriov-dpdk", "type": "plumb", "deviceID": "0000:03:02.0",
     "mac": "CA:FE:C0:FF:EE:00", "vlan": 1000, "vlanQoS": 4, "vlanProto": "802.1ad", "min_tx_rate": 100,
     "max_tx_rate": 200, "spoofchk": "off", "trust": "on", "link_state": "enable", "logLevel": "debug",
     "logFile": "/tmp/sriov.log"}
    """

    // sriov-cni's README "Configuration with IPAM" example, type changed.
    static let withIPAM = """
    {"cniVersion": "0.3.1", "name": "sriov-net", "type": "plumb", "deviceID": "0000:03:02.0", "vlan": 2222,
     "ipam": {"type": "host-local", "subnet": "10.56.217.0/24", "rangeStart": "10.56.217.171", "rangeEnd": "10.56.217.181",
              "routes": [{"dst": "0.0.0.0/0"}], "gateway": "10.56.217.1"}}
    """

    @Test("what is not exactly JSON is a decode error naming its line and column", arguments: [
        ("{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"type\": \"plumb\",\n \"bridge\": {\"name\": \"b0\"}, \"bridge\": {\"name\": \"b1\"}}",
         "line 2, column 28: member \"bridge\" given twice"),
        ("{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"type\": \"plumb\", \"bridge\": {\"name\": \"b0\",}}",
         "line 1, column 79: a member name (a string) expected"),
        ("{\"cniVersion\": \"1.0.0\", \"name\": \"\\ud800\", \"type\": \"plumb\", \"bridge\": {\"name\": \"b0\"}}",
         "surrogate"),
    ])
    func notExactlyJSON(json: String, why: String) {
        let e = refusal(json)
        #expect(e?.code == 6, "\(String(describing: e))")
        #expect(e?.details?.contains(why) == true, "\(String(describing: e?.details))")
    }

    @Test("sriov-cni's every-field example decodes to the VF it describes")
    func everyFieldExample() throws {
        let c = try parse(Self.everyField)
        #expect(c.bridge == nil)
        let vf = try #require(c.vf)
        #expect(vf == CNIConfig.VF(deviceID: "0000:03:02.0", vlan: 1000, qos: 4, vlanProto: .dot1ad, mac: MACAddress("ca:fe:c0:ff:ee:00"),
                                   spoofCheck: false, trust: true, maxTxRate: 200, minTxRate: 100, linkState: .enable))
    }

    @Test("sriov-cni's IPAM example: the VF with its VLAN, IPAM passed through untouched")
    func ipamExample() throws {
        let c = try parse(Self.withIPAM)
        #expect(c.vf == CNIConfig.VF(deviceID: "0000:03:02.0", vlan: 2222))
        #expect(c.ipam?["type"]?.string == "host-local")
        #expect(c.ipam?["rangeEnd"]?.string == "10.56.217.181")
    }

    @Test("the same configuration under type \"sriov\" (Plumb installed as sriov) decodes alike")
    func typeSriov() throws {
        let c = try parse(Self.withIPAM.replacingOccurrences(of: "\"type\": \"plumb\"", with: "\"type\": \"sriov\""))
        #expect(c.vf?.deviceID == "0000:03:02.0")
    }

    @Test("type sriov without deviceID is refused naming deviceID")
    func sriovWithoutDeviceID() throws {
        let e = try #require(refusal(#"{"cniVersion": "0.3.1", "name": "n", "type": "sriov", "vlan": 5}"#))
        #expect(e.code == 7 && e.msg.hasPrefix("deviceID:"), "\(e)")
    }

    // Multus 4's delegate call for a NetworkAttachmentDefinition with capabilities mac and ips,
    // a pod annotation asking for a MAC and an address, and the device plugin's VF.
    static let multusDelegate = """
    {"capabilities":{"ips":true,"mac":true},"cniVersion":"1.0.0","deviceID":"0000:01:10.2",
     "ipam":{"type":"static"},"name":"sriov-net","spoofchk":"on","trust":"off","type":"plumb","vlan":100,
     "runtimeConfig":{"ips":["10.56.217.100/24"],"mac":"02:aa:bb:cc:dd:01"}}
    """

    @Test("the JSON Multus passes a delegate: cniVersion 1.0.0, deviceID, runtimeConfig mac and ips")
    func multusDelegate() throws {
        let c = try parse(Self.multusDelegate)
        #expect(c.cniVersion == "1.0.0")
        #expect(c.vf == CNIConfig.VF(deviceID: "0000:01:10.2", vlan: 100, spoofCheck: true, trust: false))
        #expect(c.runtime.mac == MACAddress("02:aa:bb:cc:dd:01"))
        #expect(c.runtime.ips == [IPAddress("10.56.217.100")!])
    }

    @Test("deviceID from runtimeConfig when the top level has none")
    func runtimeDeviceID() throws {
        let c = try parse(#"{"cniVersion": "1.0.0", "name": "n", "type": "sriov", "runtimeConfig": {"deviceID": "0000:01:10.3"}}"#)
        #expect(c.vf?.deviceID == "0000:01:10.3")
    }

    @Test("sriov-cni's empty ipam object means no IPAM")
    func emptyIPAM() throws {
        let c = try parse(#"{"cniVersion": "0.3.1", "name": "n", "type": "plumb", "deviceID": "0000:01:10.0", "spoofchk": "off", "trust": "on", "vlan": 200, "ipam": {}}"#)
        #expect(c.vf?.vlan == 200)
        #expect(c.ipam?["type"] == nil)
    }

    @Test("Plumb's own vf object still decodes")
    func nestedVF() throws {
        let c = try parse(#"{"cniVersion": "1.1.0", "name": "n", "type": "plumb", "vf": {"deviceID": "0000:01:10.0", "vlan": 12, "spoofCheck": true}}"#)
        #expect(c.vf == CNIConfig.VF(deviceID: "0000:01:10.0", vlan: 12, spoofCheck: true))
    }

    @Test("runtimeConfig on a bridge network: mac, ips and portMappings")
    func bridgeRuntimeConfig() throws {
        let c = try parse("""
        {"cniVersion": "1.0.0", "name": "n", "type": "plumb", "bridge": {"name": "cni-br0"}, "ipam": {"type": "host-local"},
         "capabilities": {"portMappings": true, "mac": true, "ips": true},
         "runtimeConfig": {"mac": "02:00:00:00:00:07", "ips": ["10.99.0.50/16"], "bandwidth": {"ingressRate": 1},
                           "portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"},
                                            {"hostPort": 5353, "containerPort": 53, "protocol": "UDP", "hostIP": ""}]}}
        """)
        #expect(c.vf == nil)
        #expect(c.runtime.mac == MACAddress("02:00:00:00:00:07"))
        #expect(c.runtime.ips == [IPAddress("10.99.0.50")!])
        #expect(c.runtime.ports == [PortForward(host: 8080, container: 80, proto: .tcp), PortForward(host: 5353, container: 53, proto: .udp)])
    }

    @Test("bad values are refused with a spec error naming the field", arguments: [
        Bad(#""deviceID": "03:02.0""#, field: "deviceID"),
        Bad(#""deviceID": "0000:03:02.0", "vlan": 4095"#, field: "vlan"),
        Bad(#""deviceID": "0000:03:02.0", "vlan": "12""#, field: "vlan"),
        Bad(#""deviceID": "0000:03:02.0", "vlanQoS": 3"#, field: "vlanQoS"),
        Bad(#""deviceID": "0000:03:02.0", "vlan": 0, "vlanQoS": 3"#, field: "vlanQoS"),
        Bad(#""deviceID": "0000:03:02.0", "vlan": 5, "vlanQoS": 8"#, field: "vlanQoS"),
        Bad(#""deviceID": "0000:03:02.0", "vlan": 5, "vlanProto": "802.1x""#, field: "vlanProto"),
        Bad(#""deviceID": "0000:03:02.0", "vlanProto": "802.1q""#, field: "vlanProto"),
        Bad(#""deviceID": "0000:03:02.0", "vlan": 0, "vlanProto": "802.1ad""#, field: "vlanProto"),
        Bad(#""deviceID": "0000:03:02.0", "mac": "01:00:5e:00:00:01""#, field: "mac"),
        Bad(#""deviceID": "0000:03:02.0", "mac": "cafe""#, field: "mac"),
        Bad(#""deviceID": "0000:03:02.0", "spoofchk": true"#, field: "spoofchk"),
        Bad(#""deviceID": "0000:03:02.0", "trust": "yes""#, field: "trust"),
        Bad(#""deviceID": "0000:03:02.0", "link_state": "up""#, field: "link_state"),
        Bad(#""deviceID": "0000:03:02.0", "max_tx_rate": -1"#, field: "max_tx_rate"),
        Bad(#""deviceID": "0000:03:02.0", "min_tx_rate": 300, "max_tx_rate": 200"#, field: "min_tx_rate"),
        Bad(#""deviceID": "0000:03:02.0", "runtimeConfig": {"mac": "ff:ff:ff:ff:ff:ff"}"#, field: "runtimeConfig.mac"),
        Bad(#""deviceID": "0000:03:02.0", "runtimeConfig": {"ips": ["10.0.0.300/24"]}"#, field: "runtimeConfig.ips[0]"),
        Bad(#""bridge": {"name": "br0"}, "runtimeConfig": {"portMappings": [{"hostPort": 0, "containerPort": 80}]}"#,
            field: "runtimeConfig.portMappings[0].hostPort"),
        Bad(#""bridge": {"name": "br0"}, "runtimeConfig": {"portMappings": [{"hostPort": 80, "containerPort": 80, "protocol": "sctp"}]}"#,
            field: "runtimeConfig.portMappings[0].protocol"),
        Bad(#""bridge": {"name": "br0"}, "runtimeConfig": {"portMappings": [{"hostPort": 80, "containerPort": 80, "hostIP": "10.0.0.1"}]}"#,
            field: "runtimeConfig.portMappings[0].hostIP", code: 2),
        Bad(#""bridge": {"name": "br0"}, "runtimeConfig": {"portMappings": [{"hostPort": 80, "containerPort": 80}, {"hostPort": 80, "containerPort": 81}]}"#,
            field: "runtimeConfig.portMappings[1]"),
    ])
    func badValues(_ bad: Bad) throws {
        let e = try #require(refusal(#"{"cniVersion": "1.0.0", "name": "n", "type": "plumb", "# + bad.fields + "}"),
                             "accepted: \(bad.fields)")
        #expect(e.code == bad.code, "\(e)")
        #expect(e.msg.hasPrefix(bad.field + ":"), "the message does not name \(bad.field) first: \(e.msg)")
    }

    @Test("a bridge network with sriov-cni keys, and a vf object beside them, are refused")
    func mixedShapes() throws {
        #expect(refusal(#"{"cniVersion": "1.0.0", "name": "n", "type": "plumb", "bridge": {"name": "br0"}, "vlan": 5}"#)?.code == 7)
        #expect(refusal(#"{"cniVersion": "1.0.0", "name": "n", "type": "plumb", "vf": {"deviceID": "0000:01:10.0"}, "deviceID": "0000:01:10.0"}"#)?.code == 7)
    }

    @Test("portMappings on a VF network are refused: a VF's traffic never passes the host's nftables")
    func portMappingsOnVF() throws {
        let e = refusal(#"{"cniVersion": "1.0.0", "name": "n", "type": "plumb", "deviceID": "0000:01:10.0", "runtimeConfig": {"portMappings": [{"hostPort": 80, "containerPort": 80}]}}"#)
        #expect(e?.code == 2 && e?.msg.hasPrefix("runtimeConfig.portMappings") == true, "\(String(describing: e))")
    }

    @Test("Plumb's vf object binds a DPDK VF with driver: vfio-pci; another driver or an mtu is refused naming the field")
    func dpdkVF() throws {
        let c = try parse(#"{"cniVersion": "1.0.0", "name": "n", "type": "plumb", "vf": {"deviceID": "0000:01:10.2", "vlan": 12, "driver": "vfio-pci"}}"#)
        #expect(c.vf?.driver == .vfioPCI && c.vf?.vlan == 12)
        #expect(try parse(#"{"cniVersion": "1.0.0", "name": "n", "type": "plumb", "vf": {"deviceID": "0000:01:10.2"}}"#).vf?.driver == nil)
        let bad = refusal(#"{"cniVersion": "1.0.0", "name": "n", "type": "plumb", "vf": {"deviceID": "0000:01:10.2", "driver": "uio_pci_generic"}}"#)
        #expect(bad?.code == 7 && bad?.msg.hasPrefix("vf.driver: \"uio_pci_generic\" is not a userspace VF driver") == true, "\(String(describing: bad))")
        let mtu = refusal(#"{"cniVersion": "1.0.0", "name": "n", "type": "plumb", "mtu": 9000, "vf": {"deviceID": "0000:01:10.2", "driver": "vfio-pci"}}"#)
        #expect(mtu?.code == 7 && mtu?.msg.hasPrefix("mtu: a VF bound to vfio-pci has no netdev") == true)
    }

    /// The capabilities of a PF driven by `driver` (no VFs yet: the driver facts alone), or
    /// with VFs reporting `vfs` (what the kernel shows).
    func caps(_ driver: String, vfs: [VFSettings] = []) -> SRIOVCapabilities {
        SRIOVCapabilities(pf: PhysicalFunction(name: "eth1", pciAddress: "0000:01:00.0", driver: driver, mac: "52:54:00:12:76:01",
                                               totalVFs: 7, numVFs: vfs.count), vfs: vfs)
    }

    @Test("igb refuses link_state, min_tx_rate and 802.1ad, naming field and driver; i40e takes link_state, ice min_tx_rate")
    func driverLimits() throws {
        let base = CNIConfig.VF(deviceID: "0000:01:10.0", vlan: 10)
        var v = base; v.linkState = .enable
        let igb = VFDriverLimits.refusal(v, caps("igb"))
        #expect(igb?.field == "link_state" && igb?.value == "enable")
        #expect(igb?.why == "driver igb of eth1 cannot set a VF's link state (igb has no ndo_set_vf_link_state)")
        #expect(VFDriverLimits.refusal(v, caps("i40e")) == nil)
        v = base; v.minTxRate = 10
        #expect(VFDriverLimits.refusal(v, caps("igb"))?.why.contains("igb_ndo_set_vf_bw refuses a minimum rate") == true)
        #expect(VFDriverLimits.refusal(v, caps("ice")) == nil)
        #expect(v.settings(index: 3).minTxRate == 10)   // mapped onto the manifest's minTxRate
        v = base; v.vlanProto = .dot1ad
        #expect(VFDriverLimits.refusal(v, caps("igb"))?.field == "vlanProto")
        #expect(VFDriverLimits.refusal(v, caps("ice")) == nil)
        v = base; v.vlanProto = .dot1q; v.maxTxRate = 100; v.minTxRate = 0
        #expect(VFDriverLimits.refusal(v, caps("igb")) == nil)
    }

    @Test("a driver without facts: what the kernel reports decides (trust reported as -1 is refused)")
    func unknownDriver() throws {
        var v = CNIConfig.VF(deviceID: "0000:01:10.0", vlan: 10); v.trust = true
        let silent = caps("bnxt_en", vfs: [VFSettings(index: 0, spoofCheck: true, trust: nil)])
        #expect(VFDriverLimits.refusal(v, silent)?.field == "trust")
        #expect(VFDriverLimits.refusal(v, caps("bnxt_en", vfs: [VFSettings(index: 0, trust: false)])) == nil)
        v.trust = nil; v.linkState = .disable
        #expect(VFDriverLimits.refusal(v, silent) == nil)   // unknown: the kernel decides at apply
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        var fields: String; var field: String; var code = 7
        init(_ fields: String, field: String, code: Int = 7) { self.fields = fields; self.field = field; self.code = code }
        var testDescription: String { field + " ← " + fields }
    }
}

/// `"kind"` attachments: the reference macvlan, ipvlan and vlan plugins' fields with `type: plumb`.
@Suite("CNI configuration: macvlan, ipvlan and vlan kinds")
struct CNIKindConfigTests {
    func parse(_ json: String) throws -> CNIConfig { try CNIConfig.parse(Data(json.utf8)) }
    func refusal(_ json: String) -> CNIError? {
        do { _ = try parse(json); return nil } catch let e as CNIError { return e } catch { return nil }
    }
    func config(_ fields: String) -> String {
        "{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"type\": \"plumb\", " + fields
            + ", \"ipam\": {\"type\": \"host-local\", \"subnet\": \"10.1.0.0/24\"}}"
    }

    @Test("each kind decodes from the reference plugin's fields, with the reference defaults")
    func kinds() throws {
        #expect(try parse(config(#""kind": "macvlan", "master": "eth0", "mode": "vepa", "mtu": 1400"#)).lower == .macvlan(parent: "eth0", mode: .vepa))
        #expect(try parse(config(#""kind": "macvlan", "master": "eth0""#)).lower == .macvlan(parent: "eth0", mode: .bridge))
        #expect(try parse(config(#""kind": "ipvlan", "master": "eth0", "mode": "l3""#)).lower == .ipvlan(parent: "eth0", mode: .l3, flag: .bridge))
        #expect(try parse(config(#""kind": "ipvlan", "master": "eth0""#)).lower == .ipvlan(parent: "eth0", mode: .l2, flag: .bridge))
        let v = try parse(config(#""kind": "vlan", "master": "eth0", "vlanId": 21"#))
        #expect(v.lower == .vlan(parent: "eth0", id: 21, protocol: .dot1q) && v.vf == nil && v.bridge == nil)
    }

    @Test("refused naming the field: no master, a bad mode, a VLAN id out of range or missing, a field of another kind, VF keys, linkInContainer, an ipvlan MAC")
    func refusals() throws {
        let cases: [(String, String)] = [
            (#""kind": "macvlan""#, "master: is required"),
            (#""kind": "macvlan", "master": "eth0", "mode": "l2""#, "mode: \"l2\" is not one of"),
            (#""kind": "ipvlan", "master": "eth0", "mode": "bridge""#, "mode: \"bridge\" is not one of"),
            (#""kind": "vlan", "master": "eth0", "vlanId": 4095"#, "vlanId: 4095 is out of range 1-4094"),
            (#""kind": "vlan", "master": "eth0""#, "vlanId: is required"),
            (#""kind": "vlan", "master": "eth0", "vlanId": 5, "mode": "l2""#, "mode: belongs to kinds macvlan and ipvlan"),
            (#""kind": "macvlan", "master": "eth0", "vlanId": 5"#, "vlanId: belongs to kind vlan"),
            (#""kind": "bond", "master": "eth0""#, "kind: \"bond\" is not one of"),
            (#""master": "eth0""#, "master: belongs to a \"kind\""),
            (#""kind": "macvlan", "master": "eth0", "deviceID": "0000:03:02.0""#, "takes no VF"),
            (#""kind": "vlan", "master": "eth0", "vlanId": 5, "linkInContainer": true"#, "linkInContainer: a master inside the container is not supported"),
            (#""kind": "ipvlan", "master": "eth0", "runtimeConfig": {"mac": "02:00:00:00:00:01"}"#, "runtimeConfig.mac: an ipvlan has its master's MAC"),
        ]
        for (fields, message) in cases {
            let e = refusal(config(fields))
            #expect(e?.msg.contains(message) == true, "\(fields): \(e.map { "\($0)" } ?? "accepted")")
        }
    }
}
