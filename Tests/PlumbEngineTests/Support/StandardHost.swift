import PlumbNetlink
import PlumbSystem
import PlumbTypes

extension FakeKernel {
    /// A small server: eth0 (virtio_net, the uplink, 192.168.122.10/24 with the default
    /// route), eth1 (an igb SR-IOV PF with 7 VFs possible, none enabled, four queue
    /// interrupts all on CPUs 0-3, a VLAN-12 peer 10.217.120.1 on its wire), four online
    /// CPUs, and the sysctls a manifest may set, at their kernel defaults.
    static func standard(numVFs: Int = 0) -> FakeKernel {
        let k = FakeKernel()
        k.host.sysctls = ["net.ipv4.ip_forward": "0", "net.ipv6.conf.all.forwarding": "0", "net.core.netdev_budget": "300",
                          "net.core.netdev_max_backlog": "1000", "net.ipv4.conf.all.rp_filter": "2",
                          "net.ipv6.conf.default.disable_ipv6": "0"]
        k.addNIC("eth0", FakeNIC(driver: "virtio_net", busInfo: "0000:00:03.0",
                                 rings: Ethtool.Rings(rx: 256, rxMax: 256, tx: 256, txMax: 256),
                                 channels: Ethtool.Channels(combined: 1, combinedMax: 1), coalesce: nil,
                                 gro: Ethtool.Feature(active: true, requested: true, changeable: true)),
                 mac: "52:54:00:12:34:56", cpus: [0, 1, 2, 3])
        k.addAddress("192.168.122.10/24", to: "eth0")
        k.addRoute("default", via: "192.168.122.1", dev: "eth0")
        k.addNIC("eth1", FakeNIC(driver: "igb", busInfo: "0000:01:00.0",
                                 rings: Ethtool.Rings(rx: 256, rxMax: 4096, tx: 256, txMax: 4096),
                                 channels: Ethtool.Channels(combined: 4, combinedMax: 8),
                                 coalesce: Ethtool.Coalesce(adaptiveRx: false, rxUsecs: 3),
                                 gro: Ethtool.Feature(active: true, requested: true, changeable: true),
                                 irqs: (0..<4).map { QueueIRQ(irq: 40 + $0, name: "eth1-TxRx-\($0)") }),
                 mac: "52:54:00:12:76:01", cpus: [0, 1, 2, 3])
        k.pfs["eth1"] = FakePF(name: "eth1", pciAddress: "0000:01:00.0", driver: "igb", totalVFs: 7,
                               unsupported: ["link-state"], wire: [WireHost(vlan: 12, address: IPAddress("10.217.120.1")!)])
        if numVFs > 0 { try! k.setNumVFs("eth1", numVFs) }
        k.log = []
        return k
    }
}
