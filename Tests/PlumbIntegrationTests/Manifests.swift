/// Manifests the tests apply, written the way a user would (the README's manifest reference).
enum Manifests {
    struct Member {
        var container: String
        var address: String
        /// The host end of its veth: `<container>-<interface>` (≤ 15 bytes), per the CLI contract.
        var hostVeth: String { "\(container)-eth0" }
    }

    static let gateway = "10.88.0.1"

    /// Three containers, each a veth on br0 with a default route via the bridge.
    static let trioMembers = [
        Member(container: "web", address: "10.88.0.2"),
        Member(container: "db", address: "10.88.0.3"),
        Member(container: "cache", address: "10.88.0.4"),
    ]

    static let trio = bridge(name: "trio", members: trioMembers)

    /// A bridge manifest; `lastRoute` replaces the last container's default route.
    static func bridge(name: String, members: [Member], lastRoute: String? = nil) -> String {
        var text = """
            version: 1
            name: \(name)
            bridges:
              - name: br0
                addresses: [\(gateway)/16]
            containers:

            """
        for (i, m) in members.enumerated() {
            let route = (i == members.count - 1 ? lastRoute : nil) ?? "{to: default, via: \(gateway)}"
            text += """
                  - name: \(m.container)
                    netns: \(m.container)
                    interfaces:
                      - name: eth0
                        veth: {bridge: br0}
                        addresses: [\(m.address)/16]
                    routes:
                      - \(route)

                """
        }
        return text
    }

    /// Passes the validator (the gateway lies inside eth0's 10.88.0.0/16) but the kernel
    /// refuses it: 10.88.255.255 is that subnet's broadcast address, and a broadcast gateway is
    /// "Nexthop has invalid gateway" (EINVAL) — found by hand with
    /// `ip -n web route add default via 10.88.255.255`. It is the last container's route, so
    /// the bridge, all three namespaces and veths, and the addresses exist when it fails.
    static let rollbackTrio = bridge(name: "rollback", members: trioMembers,
                                     lastRoute: "{to: default, via: 10.88.255.255}")

    /// The 1-based line of the first line of `text` containing `marker`.
    static func line(of marker: String, in text: String) -> Int? {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .firstIndex { $0.contains(marker) }.map { $0 + 1 }
    }
}
