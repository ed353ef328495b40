import Testing
@testable import PlumbManifest

/// One semantic mistake put into `base` (see Support.swift for its lines) and the exact
/// diagnostics a user then reads.
struct Mistake: Sendable, CustomTestStringConvertible {
    let what: String
    let edits: [(old: String, new: String)]
    let expected: [String]
    var testDescription: String { what }

    init(_ what: String, _ edits: [(old: String, new: String)], _ expected: [String]) {
        self.what = what; self.edits = edits; self.expected = expected
    }

    var yaml: String {
        edits.reduce(base) { text, e in
            guard let r = text.range(of: e.old) else { return text + "\n# edit not applied: \(e.old)" }
            return text.replacingCharacters(in: r, with: e.new)
        }
    }
}

let webIface = "        veth: {bridge: br0}\n"
let webAddr = "        addresses: [10.88.0.2/16]\n"
let webRoute = "      - {to: default, via: 10.88.0.1}\n"
let vfLine = "        - {index: 0, vlan: 12}\n"
let dbVF = "        vf: {nic: eth1, index: 0}\n"
let dbAddr = "        addresses: [10.217.121.107/21]\n"
let dbRoute = "      - {to: default, via: 10.217.120.1}\n"

let nameMistakes: [Mistake] = [
    Mistake("interface name with ':'", [("name: eth0\n", "name: eth0:1\n")],
            [#"containers[0].interfaces[0].name: "eth0:1" is not a valid interface name: it contains ':' (line 15)"#]),
    Mistake("interface name over 15 bytes", [("name: eth0\n", "name: averyveryverylongname\n")],
            [#"containers[0].interfaces[0].name: "averyveryverylongname" is not a valid interface name: it is longer than 15 bytes (line 15)"#]),
    Mistake("interface name ..", [("name: eth0\n", "name: ..\n")],
            [#"containers[0].interfaces[0].name: ".." is not a valid interface name: "." and ".." are reserved (line 15)"#]),
    Mistake("host name with a space", [(webIface, "        veth: {bridge: br0, hostName: \"veth 0\"}\n")],
            [#"containers[0].interfaces[0].veth.hostName: "veth 0" is not a valid interface name: it contains whitespace (line 16)"#]),
    Mistake("bridge name with '/'", [("- name: br0\n", "- name: br/0\n"), (webIface, "        veth: {bridge: br/0}\n")],
            [#"bridges[0].name: "br/0" is not a valid interface name: it contains '/' (line 9)"#]),
    Mistake("container name with a space", [("- name: web\n", "- name: web app\n")],
            [#"containers[0].name: "web app" is not a valid container name (1-64 of A-Z a-z 0-9 . _ -) (line 12)"#]),
    Mistake("netns name with '/'", [("netns: web\n", "netns: \"a/b\"\n")],
            [#"containers[0].netns: "a/b" is not a valid netns name (1-64 of A-Z a-z 0-9 . _ -, not . or ..) (line 13)"#]),
    Mistake("pid 0", [("{pid: 1234}", "{pid: 0}")],
            ["containers[1].netns.pid: 0 is not a process id (must be > 0) (line 21)"]),
    Mistake("netns path elsewhere", [("{pid: 1234}", "{path: /tmp/ns}")],
            [#"containers[1].netns.path: "/tmp/ns" is not a netns path; use /run/netns/NAME or /proc/PID/ns/net (line 21)"#]),
    Mistake("netns path with ..", [("{pid: 1234}", "{path: /run/netns/../../etc/x}")],
            [#"containers[1].netns.path: "/run/netns/../../etc/x" is not a netns path; use /run/netns/NAME or /proc/PID/ns/net (line 21)"#]),
    Mistake("netns missing", [("    netns: web\n", "")],
            ["containers[0].netns: missing: give a name, {pid: N} or {path: ...} (only the OCI hook may leave it out) (line 12)"]),
    Mistake("manifest name with uppercase", [("version: 1\n", "name: Web\nversion: 1\n")],
            [#"name: "Web" is not a valid manifest name (1-32 of a-z 0-9 . _ -, starting with a letter or digit) (line 1)"#]),
    Mistake("sysctl key not dotted lowercase", [("version: 1\n", "version: 1\nhost: {sysctl: {Net.IPv4: 1}}\n")],
            [#"host.sysctl.Net.IPv4: "Net.IPv4" is not a sysctl key (dotted lowercase words, like net.ipv4.ip_forward) (line 2)"#]),
    Mistake("PCI address without domain", [("  - name: eth1\n", "  - match: {pci: \"01:00.0\"}\n"), (dbVF, "        vf: {nic: \"01:00.0\", index: 0}\n")],
            [#"nics[0].match.pci: "01:00.0" is not a PCI address like 0000:01:00.0 (line 3)"#]),
]

let duplicateMistakes: [Mistake] = [
    Mistake("bridge declared twice", [("    addresses: [10.88.0.1/16]\n", "    addresses: [10.88.0.1/16]\n  - name: br0\n")],
            ["bridges[1].name: bridge br0 is already declared at line 9 (line 11)"]),
    Mistake("container declared twice", [("- name: db\n", "- name: web\n")],
            ["containers[1].name: container web is already declared at line 12 (line 20)"]),
    Mistake("two containers in one netns", [("{pid: 1234}", "web")],
            ["containers[1].netns: netns web is already used by container web at line 13 (line 21)"]),
    Mistake("same netns by name and by path", [("{pid: 1234}", "{path: /run/netns/web}")],
            ["containers[1].netns: netns web is already used by container web at line 13 (line 21)"]),
    Mistake("interface declared twice in a container",
            [(webAddr, webAddr + "      - {name: eth0, veth: {bridge: br0, hostName: web-b}, addresses: [10.88.0.3/16]}\n")],
            ["containers[0].interfaces[1].name: interface eth0 of container web is already declared at line 15 (line 18)"]),
    Mistake("host name of a bridge", [(webIface, "        veth: {bridge: br0, hostName: br0}\n")],
            ["containers[0].interfaces[0].veth.hostName: host interface name br0 is already used by bridge br0 at line 9 (line 16)"]),
    Mistake("host name equal to another's derived name",
            [(dbAddr, dbAddr + "      - {name: eth0, veth: {bridge: br0, hostName: web-eth0}, addresses: [10.88.0.3/16]}\n")],
            ["containers[1].interfaces[1].veth.hostName: host interface name web-eth0 is already used by the host end of interface eth0 of container web at line 16 (line 26)"]),
    Mistake("derived host name of a bridge", [("- name: br0\n", "- name: web-eth0\n"), (webIface, "        veth: {bridge: web-eth0}\n")],
            ["containers[0].interfaces[0].veth: derived host interface name web-eth0 is already used by bridge web-eth0 at line 9; set veth.hostName (line 16)"]),
    Mistake("nic declared twice", [("      vfs:\n" + vfLine, "      vfs:\n" + vfLine + "  - name: eth1\n")],
            ["nics[1].name: nic eth1 is already declared at line 3 (line 8)"]),
    Mistake("one VF for two interfaces", [(dbAddr, dbAddr + "      - {name: eth2, vf: {nic: eth1, index: 0}}\n")],
            ["containers[1].interfaces[1].vf: VF 0 of eth1 is already used by interface eth1 of container db at line 24 (line 26)"]),
    Mistake("VF configured twice", [(vfLine, vfLine + "        - {index: 0, vlan: 13}\n")],
            ["nics[0].sriov.vfs[1].index: VF 0 is already declared at line 7 (line 8)"]),
    Mistake("interface with the bridge's address", [(webAddr, "        addresses: [10.88.0.1/16]\n"), (webRoute, "")],
            ["containers[0].interfaces[0].addresses[0]: address 10.88.0.1 is already used by bridge br0 at line 10 (line 17)"]),
    Mistake("one address on two containers", [(dbAddr, "        addresses: [10.217.121.107/21, 10.88.0.2/24]\n")],
            ["containers[1].interfaces[0].addresses[1]: address 10.88.0.2 is already used by interface eth0 of container web at line 17 (line 25)"]),
    Mistake("one host port forwarded twice",
            [(webRoute, webRoute + "    ports: [{host: 8080, container: 80}]\n"), (dbRoute, dbRoute + "    ports: [{host: 8080, container: 8080, protocol: tcp}, {host: 8080, container: 80, protocol: udp}]\n")],
            ["containers[1].ports[0].host: tcp port 8080 is already forwarded to container web at line 20 (line 29)"]),
]

let referenceAndAddressMistakes: [Mistake] = [
    Mistake("veth to an undeclared bridge", [(webIface, "        veth: {bridge: br1}\n")],
            ["containers[0].interfaces[0].veth.bridge: bridge br1 is not declared; declared bridges: br0 (line 16)"]),
    Mistake("VF of an undeclared nic", [(dbVF, "        vf: {nic: eth2, index: 0}\n")],
            ["containers[1].interfaces[0].vf.nic: nic eth2 is not declared; declared nics: eth1 (line 24)"]),
    Mistake("route dev not in the container", [(webRoute, "      - {to: default, via: 10.88.0.1, dev: eth9}\n")],
            ["containers[0].routes[0].dev: container web has no interface eth9 (line 19)"]),
    Mistake("address outside the bridge subnet", [(webAddr, "        addresses: [10.99.0.2/16]\n"), (webRoute, "")],
            ["containers[0].interfaces[0].addresses[0]: 10.99.0.2/16 is outside every subnet of bridge br0 (10.88.0.0/16) (line 17)"]),
    Mistake("gateway not on any subnet", [(webRoute, "      - {to: default, via: 10.1.1.1}\n")],
            ["containers[0].routes[0]: via 10.1.1.1 is not reachable from any interface of container web (line 19)"]),
    Mistake("gateway not on the named dev", [(dbRoute, "      - {to: default, via: 10.88.0.1, dev: eth1}\n")],
            ["containers[1].routes[0]: via 10.88.0.1 is not reachable from interface eth1 of container db (line 27)"]),
    Mistake("default route without via or dev", [(webRoute, "      - {to: default}\n")],
            ["containers[0].routes[0]: a default route without via needs dev (line 19)"]),
    Mistake("route prefix with host bits", [(webRoute, "      - {to: 10.1.2.3/16, via: 10.88.0.1}\n")],
            ["containers[0].routes[0].to: 10.1.2.3/16 has host bits set; use 10.1.0.0/16 (line 19)"]),
    Mistake("route families differ", [(webRoute, "      - {to: 10.0.0.0/8, via: \"fd00::1\"}\n")],
            ["containers[0].routes[0]: via fd00::1 is IPv6 but to 10.0.0.0/8 is IPv4 (line 19)"]),
]

let rangeMistakes: [Mistake] = [
    Mistake("VLAN 4096", [(vfLine, "        - {index: 0, vlan: 4096}\n")],
            ["nics[0].sriov.vfs[0].vlan: 4096 is out of range 0-4095 (line 7)"]),
    Mistake("QoS 8", [(vfLine, "        - {index: 0, vlan: 12, qos: 8}\n")],
            ["nics[0].sriov.vfs[0].qos: 8 is out of range 0-7 (line 7)"]),
    Mistake("qos and vlanProto without vlan", [(vfLine, "        - {index: 0, qos: 1, vlanProto: 802.1Q}\n")],
            ["nics[0].sriov.vfs[0].qos: qos needs vlan (line 7)",
             "nics[0].sriov.vfs[0].vlanProto: vlanProto needs vlan (line 7)"]),
    Mistake("VF index at numVFs", [(vfLine, "        - {index: 7, vlan: 12}\n")],
            ["nics[0].sriov.vfs[0].index: 7 is beyond numVFs 7 of eth1 (line 7)"]),
    Mistake("interface VF beyond numVFs", [(dbVF, "        vf: {nic: eth1, index: 9}\n")],
            ["containers[1].interfaces[0].vf.index: 9 is beyond numVFs 7 of eth1 (line 24)"]),
    Mistake("VF index 256", [(vfLine, "        - {index: 256, vlan: 12}\n"), ("numVFs: 7", "numVFs: 257")],
            ["nics[0].sriov.numVFs: 257 is out of range 0-256 (line 5)",
             "nics[0].sriov.vfs[0].index: 256 is out of range 0-255 (line 7)"]),
    Mistake("negative max tx rate", [(vfLine, "        - {index: 0, vlan: 12, maxTxRate: -1}\n")],
            ["nics[0].sriov.vfs[0].maxTxRate: -1 is out of range 0-4294967295 (line 7)"]),
    Mistake("unknown link state", [(vfLine, "        - {index: 0, vlan: 12, linkState: on}\n")],
            [#"nics[0].sriov.vfs[0].linkState: expected one of auto, enable, disable, got "on" (line 7)"#]),
    Mistake("multicast VF MAC", [(vfLine, "        - {index: 0, vlan: 12, mac: \"01:00:5e:00:00:01\"}\n")],
            ["nics[0].sriov.vfs[0].mac: 01:00:5e:00:00:01 is a multicast MAC; use a unicast one like 02:00:00:00:00:01 (line 7)"]),
    Mistake("all-zero interface MAC", [(webAddr, webAddr + "        mac: \"00:00:00:00:00:00\"\n")],
            ["containers[0].interfaces[0].mac: 00:00:00:00:00:00 is the all-zero MAC (line 18)"]),
    Mistake("MTU too large and too small", [(webAddr, webAddr + "        mtu: 70000\n"), ("    addresses: [10.88.0.1/16]\n", "    addresses: [10.88.0.1/16]\n    mtu: 67\n")],
            ["bridges[0].mtu: 67 is out of range 68-65535 (line 11)",
             "containers[0].interfaces[0].mtu: 70000 is out of range 68-65535 (line 19)"]),
    Mistake("ports out of range", [(webRoute, webRoute + "    ports: [{host: 0, container: 65536}]\n")],
            ["containers[0].ports[0].host: 0 is out of range 1-65535 (line 20)",
             "containers[0].ports[0].container: 65536 is out of range 1-65535 (line 20)"]),
    Mistake("port forward to a container with a link-local address only", [(dbAddr, "        addresses: [\"fe80::7/64\"]\n"), (dbRoute, "    ports: [{host: 80, container: 80}]\n")],
            ["containers[1].ports: container db has no IPv4 or global IPv6 address to forward ports to (line 27)"]),
    Mistake("tuning values", [(vfLine, vfLine + "    tuning:\n      rings: {rx: 0}\n      channels: {combined: -2}\n      coalesce: {rxUsecs: -1}\n      irqAffinity: [\"0\", \"3-1\", \"1,\", x, \"0-2,4\"]\n")],
            ["nics[0].tuning.rings.rx: 0 must be positive (line 9)",
             "nics[0].tuning.channels.combined: -2 must be positive (line 10)",
             "nics[0].tuning.coalesce.rxUsecs: -1 is out of range 0-4294967295 (line 11)",
             #"nics[0].tuning.irqAffinity[1]: "3-1" is not a CPU list like "0" or "1-3,5" (line 12)"#,
             #"nics[0].tuning.irqAffinity[2]: "1," is not a CPU list like "0" or "1-3,5" (line 12)"#,
             #"nics[0].tuning.irqAffinity[3]: "x" is not a CPU list like "0" or "1-3,5" (line 12)"#]),
]

@Test func baseManifestLoads() {
    #expect(problems(base) == [])
}

@Test(arguments: nameMistakes) func nameMistake(_ m: Mistake) {
    #expect(problems(m.yaml) == m.expected)
}

@Test(arguments: duplicateMistakes) func duplicateMistake(_ m: Mistake) {
    #expect(problems(m.yaml) == m.expected)
}

@Test(arguments: referenceAndAddressMistakes) func referenceOrAddressMistake(_ m: Mistake) {
    #expect(problems(m.yaml) == m.expected)
}

@Test(arguments: rangeMistakes) func rangeMistake(_ m: Mistake) {
    #expect(problems(m.yaml) == m.expected)
}
