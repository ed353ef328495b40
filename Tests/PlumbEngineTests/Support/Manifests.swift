/// Manifests the engine tests apply to the standard fake host.
enum Manifests {
    /// Everything at once: host sysctls, an SR-IOV NIC with tuning, a bridge with an
    /// address, masquerade and a port forward, two veth containers in named namespaces
    /// (one with two addresses, an MTU and a second route), and a container with a VF.
    static let mixed = """
        version: 1
        name: mixed
        host:
          sysctl: {net.core.netdev_budget: 600, net.ipv4.conf.all.rp_filter: 1}
        nics:
          - name: eth1
            sriov: {numVFs: 2, vfs: [{index: 0, vlan: 12, mac: "02:00:00:00:00:10", spoofCheck: false, trust: true}]}
            tuning: {rings: {rx: 1024}, channels: {combined: 2}, coalesce: {rxUsecs: 50}, offloads: {gro: false}, irqAffinity: spread}
        bridges:
          - {name: br0, addresses: [10.88.0.1/16], nat: {masquerade: true}}
        containers:
          - name: web
            netns: web
            interfaces: [{name: eth0, veth: {bridge: br0}, addresses: [10.88.0.2/16]}]
            routes: [{to: default, via: 10.88.0.1}]
            ports: [{host: 8080, container: 80, protocol: tcp}]
          - name: db
            netns: db
            interfaces: [{name: eth0, veth: {bridge: br0, hostName: veth-db}, addresses: [10.88.0.3/16, 10.88.200.3/24], mtu: 1400}]
            routes: [{to: default, via: 10.88.0.1}, {to: 10.200.0.0/16, via: 10.88.200.1, metric: 50}]
          - name: c1
            netns: c1
            interfaces: [{name: eth1, vf: {nic: eth1, index: 0}, addresses: [10.217.121.107/21], mtu: 1400}]
            routes: [{to: default, via: 10.217.120.1}]
        """

    /// One bridge, one container: the smallest manifest with every kind of link step.
    static let small = """
        version: 1
        name: small
        bridges: [{name: br0, addresses: [10.88.0.1/16]}]
        containers:
          - name: web
            netns: web
            interfaces: [{name: eth0, veth: {bridge: br0}, addresses: [10.88.0.2/16]}]
            routes: [{to: default, via: 10.88.0.1}]
        """
}
