import PlumbTypes
import Testing
@testable import PlumbManifest

/// The manifest contract's example, verbatim: the contract's own sample must load as written.
let designExample = """
version: 1
host:
  sysctl: {net.ipv4.ip_forward: 1, net.core.netdev_budget: 600}
nics:                                   # physical functions
  - name: eth1                          # or match: {pci: "0000:01:00.0"} / {mac: ...}
    sriov:
      numVFs: 7
      persist: false                    # true: also write the igb max_vfs modprobe option
      vfs:
        - {index: 0, vlan: 12, qos: 0, mac: "02:00:00:00:00:10", spoofCheck: true, trust: false, maxTxRate: 0}
    tuning:
      rings: {rx: 4096, tx: 4096}
      channels: {combined: 8}
      coalesce: {adaptiveRx: true, rxUsecs: 50}
      offloads: {gro: true}
      irqAffinity: spread               # or a list of CPU lists, one per queue
bridges:
  - name: br0
    addresses: [10.88.0.1/16]
    nat: {masquerade: true}
containers:
  - name: web
    netns: web                          # or {pid: 1234} or {path: /proc/1234/ns/net}
    interfaces:
      - name: eth1
        vf: {nic: eth1, index: 0}
        addresses: [10.217.121.107/21]
      - name: eth0
        veth: {bridge: br0}             # hostName optional, derived, <= 15 bytes
        addresses: [10.88.0.2/16]
    routes:
      - {to: default, via: 10.217.120.1}
    ports:
      - {host: 8080, container: 80, protocol: tcp}
"""

let expectedExample = Manifest(
    name: "example",
    version: 1,
    host: Host(sysctl: [Sysctl(key: "net.ipv4.ip_forward", value: "1"),
                        Sysctl(key: "net.core.netdev_budget", value: "600")]),
    nics: [NIC(selector: .name("eth1"),
               sriov: SRIOV(numVFs: 7, persist: false, vfs: [
                   VFConfig(index: 0, vlan: 12, qos: 0, mac: MACAddress("02:00:00:00:00:10"),
                            spoofCheck: true, trust: false, maxTxRate: 0),
               ]),
               tuning: Tuning(rings: .init(rx: 4096, tx: 4096), channels: .init(combined: 8),
                              coalesce: .init(adaptiveRx: true, rxUsecs: 50), offloads: .init(gro: true),
                              irqAffinity: .spread))],
    bridges: [Bridge(name: "br0", addresses: [IPPrefix("10.88.0.1/16")!], nat: NAT(masquerade: true))],
    containers: [Container(
        name: "web", netns: .named("web"),
        interfaces: [
            Interface(name: "eth1", kind: .vf(nic: "eth1", index: 0), addresses: [IPPrefix("10.217.121.107/21")!]),
            Interface(name: "eth0", kind: .veth(bridge: "br0", hostName: nil), addresses: [IPPrefix("10.88.0.2/16")!]),
        ],
        routes: [Route(to: .defaultRoute(.v4), via: IPAddress("10.217.120.1"))],
        ports: [PortForward(host: 8080, container: 80, proto: .tcp)])])

@Test func designExampleLoadsAsTheModel() throws {
    var m = try ManifestLoader.parse(designExample, defaultName: "example")
    #expect(m.lines.line(of: "containers[0].interfaces[1].addresses[0]") == 30)
    m.lines = SourceLines()
    #expect(m == expectedExample)
}

@Test func designExampleRecordsLinesOfObjectsAndValues() throws {
    let lines = try ManifestLoader.parse(designExample, defaultName: "example").lines
    #expect(lines.line(of: "version") == 1)
    #expect(lines.line(of: "host.sysctl.net.core.netdev_budget") == 3)
    #expect(lines.line(of: "nics[0]") == 5)
    #expect(lines.line(of: "nics[0].sriov.vfs[0].vlan") == 10)
    #expect(lines.line(of: "nics[0].tuning.irqAffinity") == 16)
    #expect(lines.line(of: "bridges[0].name") == 18)
    #expect(lines.line(of: "containers[0].netns") == 23)
    #expect(lines.line(of: "containers[0].interfaces[1].veth.bridge") == 29)
    #expect(lines.line(of: "containers[0].routes[0]") == 32)
    #expect(lines.line(of: "containers[0].ports[0].protocol") == 34)
}

@Test func jsonFormLoadsTheSameModel() throws {
    let json = """
    {
      "version": 1,
      "host": {"sysctl": {"net.ipv4.ip_forward": 1, "net.core.netdev_budget": 600}},
      "nics": [{"name": "eth1",
                "sriov": {"numVFs": 7, "persist": false,
                          "vfs": [{"index": 0, "vlan": 12, "qos": 0, "mac": "02:00:00:00:00:10",
                                   "spoofCheck": true, "trust": false, "maxTxRate": 0}]},
                "tuning": {"rings": {"rx": 4096, "tx": 4096}, "channels": {"combined": 8},
                           "coalesce": {"adaptiveRx": true, "rxUsecs": 50}, "offloads": {"gro": true},
                           "irqAffinity": "spread"}}],
      "bridges": [{"name": "br0", "addresses": ["10.88.0.1/16"], "nat": {"masquerade": true}}],
      "containers": [{
        "name": "web", "netns": "web",
        "interfaces": [
          {"name": "eth1", "vf": {"nic": "eth1", "index": 0}, "addresses": ["10.217.121.107/21"]},
          {"name": "eth0", "veth": {"bridge": "br0", "hostName": null}, "addresses": ["10.88.0.2/16"]}
        ],
        "routes": [{"to": "default", "via": "10.217.120.1"}],
        "ports": [{"host": 8080, "container": 80, "protocol": "tcp"}]
      }]
    }
    """
    var m = try ManifestLoader.parse(json, file: "example.json", defaultName: "example")
    #expect(m.lines.line(of: "containers[0].interfaces[1]") == 16)
    m.lines = SourceLines()
    #expect(m == expectedExample)
}

@Test func jsonWithTabIndentationLoads() throws {
    let json = "{\n\t\"version\": 1,\n\t\"bridges\": [\n\t\t{\"name\": \"br0\"}\n\t]\n}\n"
    let m = try ManifestLoader.parse(json, defaultName: "tabs")
    #expect(m.bridges == [Bridge(name: "br0")])
    #expect(m.lines.line(of: "bridges[0].name") == 4)
}

@Test func extensionsLoad() throws {
    let m = try ManifestLoader.parse("""
    name: lab.1
    version: 1
    host:
      sysctl: {net.ipv4.ip_forward: true, net.ipv4.conf.all.rp_filter: false, net.ipv4.ip_local_port_range: "32768 60999"}
    nics:
      - match: {pci: "0000:01:00.0"}
        sriov:
          numVFs: 2
          allowDisruptive: true
          vfs: [{index: 1, vlan: 7, qos: 3, vlanProto: 802.1ad, linkState: auto}]
        tuning: {channels: {rx: 2, tx: 2}, coalesce: {rxFrames: 16}, irqAffinity: ["0", "1-3,5", 4]}
      - match: {mac: "02:AA:bb:00:00:01"}
    containers:
      - name: hooked
        interfaces:
          - {name: eth1, vf: {nic: "0000:01:00.0", index: 1}, addresses: ["fd00::2/64", 192.0.2.2/24], mtu: 9000, mac: "02:00:00:00:00:22"}
        routes:
          - {to: default, via: "fd00::1"}
          - {to: 192.0.2.7, dev: eth1, metric: 10}
        ports:
          - {host: 53, container: 53, protocol: udp}
      - name: pinned
        netns: {path: /run/netns/pinned}
        interfaces: [{name: eth0, vf: {nic: "02:aa:bb:00:00:01", index: 0}, addresses: [192.0.2.9/24]}]
        ports: [{host: 8080, container: 80}]
    """, defaultName: "ignored", requireNetns: false)
    #expect(m.name == "lab.1")
    #expect(m.host.sysctl.map(\.value) == ["1", "0", "32768 60999"])
    #expect(m.nics[0].selector == .pci("0000:01:00.0"))
    #expect(m.nics[1].reference == "02:aa:bb:00:00:01")
    #expect(m.nics[0].sriov == SRIOV(numVFs: 2, allowDisruptive: true,
                                     vfs: [VFConfig(index: 1, vlan: 7, qos: 3, vlanProto: .dot1ad, linkState: .auto)]))
    #expect(m.nics[0].tuning?.irqAffinity == .lists(["0", "1-3,5", "4"]))
    #expect(m.containers[0].netns == nil)
    #expect(m.containers[0].routes == [
        Route(to: .defaultRoute(.v6), via: IPAddress("fd00::1")),
        Route(to: IPPrefix("192.0.2.7/32")!, dev: "eth1", metric: 10),
    ])
    #expect(m.containers[0].ports == [PortForward(host: 53, container: 53, proto: .udp)])
    #expect(m.containers[1].netns == .path("/run/netns/pinned"))
    #expect(m.containers[1].ports == [PortForward(host: 8080, container: 80, proto: .tcp)])
}

@Test func defaultRouteTakesTheFamilyOfVia() throws {
    let m = try #require(load("""
    version: 1
    containers:
      - name: web
        netns: web
        interfaces: [{name: eth0, vf: {nic: eth1, index: 0}, addresses: [10.0.0.2/24, "fd00::2/64"]}]
        routes:
          - {to: default, via: 10.0.0.1}
          - {to: default, via: "fd00::1"}
          - {to: default, dev: eth0}
          - {to: "fd00:1::7", via: "fe80::1", dev: eth0}
    nics: [{name: eth1}]
    """))
    #expect(m.containers[0].routes.map(\.to.description) == ["0.0.0.0/0", "::/0", "0.0.0.0/0", "fd00:1::7/128"])
}
