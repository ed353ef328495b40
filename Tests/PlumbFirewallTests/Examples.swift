import PlumbFirewall

/// Rulesets shared by the tests.
enum Examples {
    static let masquerade = Masquerade(subnet: "10.88.0.0/16", bridge: "br0", comment: "bridges[0] br0 masquerade")
    static let web = PortForward(proto: .tcp, hostPort: 8080, destination: "10.88.0.2", destinationPort: 80,
                                 bridge: "br0", bridgeSubnet: "10.88.0.0/16", comment: "containers[1] web port tcp/8080")
    static let dns = PortForward(proto: .udp, hostPort: 5353, destination: "10.88.0.3", destinationPort: 53,
                                 bridge: "br0", bridgeSubnet: "10.88.0.0/16", comment: "containers[2] dns port udp/5353")

    /// One masquerade and two port forwards.
    static let ruleset = NATRuleset(masquerades: [masquerade], portForwards: [web, dns])

    /// IPv6 beside IPv4, in the same inet table.
    static let dualStack = NATRuleset(
        masquerades: [masquerade,
                      Masquerade(subnet: "fd00:88::/64", bridge: "br0", comment: "bridges[0] br0 masquerade ipv6")],
        portForwards: [web,
                       PortForward(proto: .tcp, hostPort: 8443, destination: "fd00:88::2", destinationPort: 443,
                                   bridge: "br0", bridgeSubnet: "fd00:88::/64", comment: "containers[1] web port tcp/8443")])

    /// The golden rendering of `ruleset`: also exactly what `nft list table inet plumb` prints.
    static let rulesetTable = """
        table inet plumb {
        \tcomment "owned by plumb: rebuilt from the manifest on every apply"
        \tchain prerouting {
        \t\ttype nat hook prerouting priority dstnat; policy accept;
        \t\tfib daddr type local tcp dport 8080 dnat ip to 10.88.0.2:80 comment "containers[1] web port tcp/8080"
        \t\tfib daddr type local udp dport 5353 dnat ip to 10.88.0.3:53 comment "containers[2] dns port udp/5353"
        \t}

        \tchain output {
        \t\ttype nat hook output priority -100; policy accept;
        \t\tfib daddr type local tcp dport 8080 dnat ip to 10.88.0.2:80 comment "containers[1] web port tcp/8080"
        \t\tfib daddr type local udp dport 5353 dnat ip to 10.88.0.3:53 comment "containers[2] dns port udp/5353"
        \t}

        \tchain postrouting {
        \t\ttype nat hook postrouting priority srcnat; policy accept;
        \t\tip saddr 10.88.0.0/16 oifname != "br0" masquerade comment "bridges[0] br0 masquerade"
        \t\toifname "br0" ct status dnat ip saddr 10.88.0.0/16 ip daddr 10.88.0.2 tcp dport 80 masquerade comment "containers[1] web port tcp/8080"
        \t\toifname "br0" ct status dnat ip saddr 10.88.0.0/16 ip daddr 10.88.0.3 udp dport 53 masquerade comment "containers[2] dns port udp/5353"
        \t}

        \tchain forward {
        \t\ttype filter hook forward priority filter; policy accept;
        \t\tct state established,related accept comment "plumb established,related"
        \t\tct status dnat ip daddr 10.88.0.2 tcp dport 80 accept comment "containers[1] web port tcp/8080"
        \t\tct status dnat ip daddr 10.88.0.3 udp dport 53 accept comment "containers[2] dns port udp/5353"
        \t}
        }

        """
}
