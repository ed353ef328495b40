import PlumbEngine
import PlumbNetlink
import PlumbTypes
import Testing

/// The verifier's decisions on the fake kernel: what passes after an apply, and which
/// check fails, saying what it saw, when the receive path is broken behind its back.
@Suite("Verifier decisions")
struct VerifierTests {
    let mixed: Layer
    init() throws { mixed = try layer(Manifests.mixed) }

    /// The applied mixed manifest, verified after `breakIt`.
    func verify(_ breakIt: (FakeKernel) -> Void = { _ in }) throws -> (VerifyReport, World) {
        let w = World()
        try w.engine().apply(mixed)
        breakIt(w.kernel)
        return (try w.engine().verify(mixed), w)
    }

    func check(_ r: VerifyReport, _ container: String, _ name: String, _ interface: String? = nil) -> Check? {
        r.containers.first { $0.name == container }?.checks.first { $0.name == name && (interface == nil || $0.interface == interface) }
    }

    @Test("after apply every check passes: links, addresses, routes, bridge ports, probes, the port forward, VF settings, NAT, tuning")
    func allPass() throws {
        let (r, w) = try verify()
        #expect(r.ok, "\(r.failures)")
        #expect(r.failures.isEmpty)
        let bridgeMAC = try #require(w.kernel.host.link(named: "br0")?.mac)
        #expect(check(r, "web", "probe")?.observed
                 == "echo reply from 10.88.0.1 in 42 µs; 10.88.0.1 is at \(bridgeMAC), br0's MAC (REACHABLE); rx +2 packets")
        #expect(check(r, "web", "path-mtu")?.status == .pass)
        #expect(check(r, "c1", "probe")?.status == .pass)
        #expect(check(r, "web", "port-forward")?.status == .pass)
        #expect(check(r, "c1", "vf-settings")?.status == .pass)
        #expect(r.host.checks.first { $0.name == "nat-rules" }?.status == .pass)
        #expect(r.nics.map(\.name) == ["eth1"] && r.nics[0].ok)
        // The probes leave no neighbour entries behind.
        #expect(w.kernel.namespaces.values.allSatisfy { $0.neighbours.isEmpty })
    }

    @Test("ARP: broadcast from the bridge's first container, then the bridge's own request to each next container, said in the report")
    func arpOncePerBridge() throws {
        let (r, w) = try verify()
        #expect(check(r, "web", "probe")?.evidence.contains(.arp) == true)
        let db = try #require(check(r, "db", "probe"))
        #expect(db.status == .pass)
        #expect(db.evidence.contains(.arpFromBridge) && !db.evidence.contains(.arp), "\(db.evidence)")
        #expect(db.observed.contains("broadcast ARP on br0 resolved the gateway to its MAC for web in this run"), "\(db.observed)")
        #expect(w.kernel.namespaces.values.allSatisfy { $0.neighbours.isEmpty }, "the probe left neighbour entries")
    }

    @Test("a container whose own entry names another MAC is probed through it and fails, unicast ARP or not")
    func poisonedSecondContainer() throws {
        let w = World()
        try w.engine().apply(mixed)
        let db = try #require(w.kernel.resolve(.named("db")))
        let eth0 = try #require(w.kernel.namespaces[db]?.link(named: "eth0")?.index)
        w.kernel.namespaces[db]!.neighbours.append(NeighbourInfo(index: eth0, address: IPAddress("10.88.0.1")!,
                                                                 state: NeighbourInfo.permanent, mac: MACAddress("02:66:66:66:66:66")!))
        let r = try w.engine().verify(mixed)
        let probe = try #require(check(r, "db", "probe"))
        #expect(probe.status == .fail, "\(probe.observed)")
        #expect(probe.evidence.contains(.arp), "\(probe.evidence)")
    }

    @Test("where echo is ignored, the probe passes on a TCP connection to plumb's listener on the gateway, and says so")
    func echoIgnored() throws {
        let (r, _) = try verify { $0.dropEchoes = true }
        let probe = try #require(check(r, "web", "probe"))
        #expect(probe.status == .pass)
        #expect(probe.observed.contains("instead a TCP connection to 10.88.0.1"), "\(probe.observed)")
        #expect(probe.evidence.contains(.tcpNonce) && !probe.evidence.contains(.icmpEcho))
        #expect(check(r, "web", "path-mtu")?.evidence == [.tcpFullSize])
    }

    @Test("probe fails when every packet to the gateway is lost, naming both attempts")
    func everythingDropped() throws {
        let (r, _) = try verify { $0.dropAll = true }
        let probe = try #require(check(r, "web", "probe"))
        #expect(probe.status == .fail)
        #expect(probe.observed.hasPrefix("no echo reply from 10.88.0.1"), "\(probe.observed)")
        #expect(probe.observed.contains("TCP to a listener plumb opened on 10.88.0.1"), "\(probe.observed)")
        #expect(check(r, "web", "port-forward")?.status == .fail)
        #expect(!r.ok)
    }

    @Test("path-mtu fails when a container's host end is smaller than the container end")
    func hostEndMTU() throws {
        let (r, _) = try verify { $0.edit("web-eth0") { $0.mtu = 1000 } }
        #expect(check(r, "web", "probe")?.status == .pass)
        #expect(check(r, "web", "path-mtu")?.status == .fail)
        #expect(check(r, "web", "port-mtu")?.status == .fail)
    }

    @Test("the probe fails when the gateway's neighbour entry names another MAC than its bridge's (a rogue gateway)")
    func rogueGateway() throws {
        let w = World()
        try w.engine().apply(mixed)
        let web = try #require(w.kernel.resolve(.named("web")))
        let eth0 = try #require(w.kernel.namespaces[web]?.link(named: "eth0")?.index)
        w.kernel.namespaces[web]!.neighbours.append(NeighbourInfo(index: eth0, address: IPAddress("10.88.0.1")!,
                                                                  state: NeighbourInfo.permanent, mac: MACAddress("02:66:66:66:66:66")!))
        let r = try w.engine().verify(mixed)
        let probe = try #require(check(r, "web", "probe"))
        #expect(probe.status == .fail, "\(probe.observed)")
        #expect(probe.observed.contains("02:66:66:66:66:66"), "\(probe.observed)")
    }

    @Test("bridge-port (and the probe) fail when the host end is detached from the bridge")
    func hostEndDetached() throws {
        let (r, _) = try verify { $0.edit("web-eth0") { $0.master = nil } }
        let port = try #require(check(r, "web", "bridge-port"))
        #expect(port.status == .fail)
        #expect(port.observed == "web-eth0 up, master none")
        #expect(check(r, "web", "probe")?.status == .fail)
        #expect(check(r, "db", "bridge-port")?.status == .pass)
    }

    @Test("link-up fails when the host end is down: the container end has no carrier")
    func hostEndDown() throws {
        let (r, _) = try verify { $0.edit("veth-db") { $0.up = false } }
        #expect(check(r, "db", "link-up")?.observed == "up, no carrier")
        #expect(check(r, "db", "link-up")?.status == .fail)
    }

    @Test("netns-present fails when the namespace is not the one recorded")
    func namespaceRecreated() throws {
        var recreated: NamespaceIdentity?
        let (r, _) = try verify { k in
            k.removeNamespace("db")
            recreated = k.addNamespace("db")
        }
        let present = try #require(check(r, "db", "netns-present"))
        #expect(present.status == .fail)
        #expect(present.observed.hasPrefix("another namespace (\(recreated!)) than the one recorded"))
        #expect(r.containers.first { $0.name == "db" }?.checks.count == 1)
    }

    @Test("netns-present fails when the container's namespace is the host's own")
    func hostNamespace() throws {
        let w = World()
        w.kernel.addProcess(4242, in: .host)
        let l = try layer("version: 1\nname: p\ncontainers: [{name: c, netns: {pid: 4242}, interfaces: []}]\n")
        let r = try w.engine().verify(l)
        #expect(r.containers[0].checks.map(\.observed) == ["the host's own namespace (\(w.kernel.host.identity))"])
        #expect(!r.ok)
    }

    @Test("vf-settings and the VF's probe fail when its VLAN was changed behind plumb's back")
    func vfVLANChanged() throws {
        let (r, _) = try verify { $0.pfs["eth1"]!.settings[0].vlan = VFVLAN(id: 13) }
        let vf = try #require(check(r, "c1", "vf-settings"))
        #expect(vf.status == .fail)
        #expect(vf.observed.hasSuffix("— differs: vlan 12"))
        #expect(check(r, "c1", "probe")?.status == .fail)
    }

    @Test("nat-rules and the port forward fail when a rule is deleted from the table")
    func natRuleDeleted() throws {
        let (r, _) = try verify { $0.deleteRules(in: mixed.marks.table, comment: "containers[0] web port tcp/8080") }
        let nat = try #require(r.host.checks.first { $0.name == "nat-rules" })
        #expect(nat.status == .fail)
        #expect(nat.observed.contains("missing rule \"containers[0] web port tcp/8080\" in chain prerouting"))
        #expect(check(r, "web", "port-forward")?.status == .fail)
    }

    @Test("the NIC report fails when a tuned value changed behind plumb's back")
    func tuningDrift() throws {
        let (r, _) = try verify { $0.nics["eth1"]!.rings!.rx = 512 }
        #expect(r.nics[0].checks.first { $0.name == "rings" }?.status == .fail)
        #expect(r.nics[0].checks.first { $0.name == "rings" }?.observed == "rx 512/4096 tx 256/4096")
    }
}
