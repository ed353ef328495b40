import PlumbTypes
import Testing
@testable import PlumbManifest

/// Policy routing as a user writes it: `table:` on a route, `rules:` in a container and on the
/// host, `sourceRouting: true` on an interface; and the diagnostics for what the kernel would
/// refuse or what cannot work, each with its path and line.
@Suite("Manifest: policy routing")
struct PolicyRoutingManifestTests {
    /// A multi-homed container; `route`, `rule` and `iface` are spliced into its lists.
    func yaml(route: String = "{to: default, via: 10.1.0.1}", rule: String = "{from: 10.1.0.2, table: 100}",
              iface: String = "", host: String = "") -> String {
        """
        version: 1
        \(host.isEmpty ? "" : "host:\n  rules:\n    - \(host)\n")bridges:
          - {name: br1, addresses: [10.1.0.1/24]}
          - {name: br2, addresses: [10.2.0.1/24]}
        containers:
          - name: mh
            netns: mh
            interfaces:
              - {name: eth0, veth: {bridge: br1}, addresses: [10.1.0.2/24]\(iface)}
              - {name: eth1, veth: {bridge: br2}, addresses: [10.2.0.2/24], sourceRouting: true}
            routes:
              - \(route)
            rules:
              - \(rule)
        """
    }

    @Test("table, rules, fwmark forms and sourceRouting decode")
    func decodes() throws {
        let m = try ManifestLoader.parse(yaml(route: "{to: 10.9.0.0/16, via: 10.1.0.1, table: 200}",
                                              rule: #"{from: 10.1.0.0/24, to: 10.9.0.0/16, iif: eth0, oif: eth1, fwmark: "0x10/0xff", table: main, priority: 100}"#,
                                              host: "{fwmark: 7, table: default}"), defaultName: "t")
        let c = m.containers[0]
        #expect(c.routes[0].table == 200 && c.routes[0].kernelTable == 200)
        #expect(c.rules == [Rule(from: IPPrefix("10.1.0.0/24"), to: IPPrefix("10.9.0.0/16"), iif: "eth0", oif: "eth1", fwmark: 0x10,
                                 fwmask: 0xff, table: 254, priority: 100)])
        #expect(m.host.rules == [Rule(fwmark: 7, table: 253)])
        #expect(m.host.rules[0].families == [.v4, .v6], "a rule without an address is made in both families")
        #expect(c.interfaces.map(\.sourceRouting) == [false, true])
        #expect(try ManifestLoader.parse(yaml(), defaultName: "t").containers[0].routes[0].kernelTable == 254, "main unless declared")
    }

    @Test("sourceRouting expands to what sbr builds: a table of the interface's own with its subnet and its routes, a rule per address")
    func sourceRoutingExpands() throws {
        let m = try ManifestLoader.parse(yaml(route: "{to: default, via: 10.2.0.1, metric: 200}", rule: "{fwmark: 1, table: 50}"),
                                         defaultName: "t")
        let c = m.containers[0]
        let table = c.effectiveRoutes.filter { $0.table == 101 }
        #expect(table == [Route(to: IPPrefix("10.2.0.0/24")!, dev: "eth1", table: 101),
                          Route(to: .defaultRoute(.v4), via: IPAddress("10.2.0.1"), dev: "eth1", metric: 200, table: 101)], "\(table)")
        #expect(c.effectiveRules.last == Rule(from: IPPrefix("10.2.0.2/32"), table: 101))
        #expect(c.effectiveRules.count == 2, "the declared rule and eth1's; eth0 has no sourceRouting")
    }

    @Test("tables, priorities, marks, families and sourceRouting the kernel would refuse or that cannot work: path and line")
    func refusals() {
        #expect(problems(yaml(route: "{to: default, via: 10.1.0.1, table: 255}")) == [
            "containers[0].routes[0].table: 255 is the local table, the kernel's own; use main, default or another number (line 12)"])
        #expect(problems(yaml(route: "{to: default, via: 10.1.0.1, table: local}")) == [
            #"containers[0].routes[0].table: expected a table number or one of default, main (names come from tables:), got "local" (line 12)"#])
        #expect(problems(yaml(rule: "{table: 0}")) == ["containers[0].rules[0].table: 0 is out of range 1-4294967295 (line 14)"])
        #expect(problems(yaml(rule: "{from: 10.1.0.2, table: 100, priority: 0}")) == [
            "containers[0].rules[0].priority: 0 is out of range 1-4294967295 (line 14)"])
        #expect(problems(yaml(rule: #"{from: 10.1.0.2, to: "fd00::/64", table: 100}"#)) == [
            "containers[0].rules[0].to: fd00::/64 is IPv6 but from 10.1.0.2/32 is IPv4: a rule is of one family (line 14)"])
        #expect(problems(yaml(rule: #"{fwmark: "0x10/", table: 100}"#)) == [
            #"containers[0].rules[0].fwmark: "0x10/" has no mask after /: write it like "0x10/0xff" (line 14)"#])
        #expect(problems(yaml(rule: "{fwmark: ten, table: 100}")) == [
            #"containers[0].rules[0].fwmark: "ten" is not a mark like 16, 0x10 or "0x10/0xff" (line 14)"#])
        #expect(problems(yaml(rule: #"{iif: "eth 0", table: 100}"#)) == [
            #"containers[0].rules[0].iif: "eth 0" is not a valid interface name: it contains whitespace (line 14)"#])
        #expect(problems(yaml(rule: "{from: 10.1.0.2}")).first?.hasPrefix("containers[0].rules[0].table: ") == true)
        #expect(problems(yaml(rule: "{from: 10.1.0.2, table: 100, goto: 5}")).first?.hasPrefix("containers[0].rules[0].goto: unknown key") == true)
        #expect(problems(yaml(rule: "{from: 10.1.0.2, table: 101}")) == [
            "containers[0].interfaces[1].sourceRouting: interface eth1's source-routing table is 101 (100 + its position), which a route or rule of container mh also names; use another table there (line 10)"])
        #expect(problems(yaml(host: "{from: 10.9.0.0/16, table: 255}")) == [
            "host.rules[0].table: 255 is the local table, the kernel's own; use main, default or another number (line 4)"])
        let noAddress = yaml().replacingOccurrences(of: "addresses: [10.2.0.2/24], sourceRouting: true", with: "sourceRouting: true")
        #expect(problems(noAddress).contains("containers[0].interfaces[1].sourceRouting: interface eth1 has no address to route from (line 10)"),
                "\(problems(noAddress))")
    }

    @Test("named tables: declared once under tables:, used by routes and rules; an undeclared or reserved name is refused with path and line")
    func namedTables() throws {
        let text = "version: 1\ntables: {storage: 100, tenant: 300}\n" + yaml(route: "{to: default, via: 10.1.0.1, table: tenant}",
                                                                               rule: "{from: 10.1.0.2, table: storage}")
            .replacingOccurrences(of: "version: 1\n", with: "").replacingOccurrences(of: "sourceRouting: true", with: "sourceRouting: false")
        let m = try ManifestLoader.parse(text, defaultName: "t")
        #expect(m.tables == ["storage": 100, "tenant": 300])
        #expect(m.containers[0].routes[0].table == 300 && m.containers[0].rules[0].table == 100)
        let undeclared = text.replacingOccurrences(of: "table: tenant", with: "table: backup")
        #expect(problems(undeclared) == [
            #"containers[0].routes[0].table: expected a table number or one of default, main, storage, tenant (names come from tables:), got "backup" (line 13)"#])
        #expect(problems("version: 1\ntables: {main: 100, local: 7, \"a b\": 8, big: 255}\n") == [
            #"tables.a b: "a b" is not a table name: a word, not a number, without spaces or / (line 2)"#,
            "tables.big: 255 is the local table, the kernel's own; use main, default or another number (line 2)",
            #"tables.local: "local" is iproute2's own table name; choose another (line 2)"#,
            #"tables.main: "main" is iproute2's own table name; choose another (line 2)"#])
    }
}
