import Testing
@testable import PlumbManifest

/// The decoder is strict and keeps going: every mistake is reported with its path and line.

@Test func unknownKeyNamesTheExpectedKeys() {
    let yaml = base(replacing: "  - name: br0\n", with: "  - name: br0\n    nmae: br1\n")
    #expect(problems(yaml) == ["bridges[0].nmae: unknown key; expected one of name, addresses, mtu, nat (line 10)"])
}

@Test func unknownTopLevelKey() {
    #expect(problems("version: 1\nbridge: []\n")
        == ["bridge: unknown key; expected one of name, version, host, nics, bridges, containers, tables (line 2)"])
}

@Test func duplicateKeyIsReportedAtTheRepeat() {
    let yaml = base(replacing: "    netns: web\n", with: "    netns: web\n    netns: other\n")
    #expect(problems(yaml) == ["containers[0].netns: duplicate key; first given at line 13 (line 14)"])
}

@Test func duplicateKeysEverywhereAreAllReported() {
    let yaml = """
    version: 1
    version: 1
    bridges:
      - {name: br0, name: br1, mtu: 1500}
    containers:
      - name: a
        netns: a
        name: b
        name: c
    """
    #expect(problems(yaml) == [
        "version: duplicate key; first given at line 1 (line 2)",
        "bridges[0].name: duplicate key; first given at line 4 (line 4)",
        "containers[0].name: duplicate key; first given at line 6 (line 8)",
        "containers[0].name: duplicate key; first given at line 6 (line 9)",
    ])
}

@Test func duplicateKeyInJSON() {
    let json = """
    {"version": 1,
     "bridges": [{"name": "br0", "mtu": 1500, "name": "br1"}]}
    """
    #expect(problems(json) == ["bridges[0].name: duplicate key; first given at line 2 (line 2)"])
}

@Test func wrongTypesSayWhatWasExpectedAndWhatCame() {
    let yaml = """
    version: abc
    bridges:
      - name: [br0]
        mtu: "1500"
        nat: {masquerade: yes}
    containers: {name: web}
    """
    #expect(problems(yaml) == [
        "version: expected an integer, got \"abc\" (line 1)",
        "bridges[0].name: expected a string, got a list (line 3)",
        "bridges[0].mtu: expected an integer, got \"1500\" (a quoted string; remove the quotes) (line 4)",
        "bridges[0].nat.masquerade: expected true or false, got \"yes\" (line 5)",
        "containers: expected a list, got a mapping (line 6)",
    ])
}

@Test func missingRequiredKeysCiteTheirObject() {
    let yaml = """
    bridges:
      - addresses: [10.0.0.1/24]
    containers:
      - name: web
        netns: web
        interfaces:
          - {name: eth0, vf: {index: 1}}
    """
    #expect(problems(yaml) == [
        "version: missing required key (line 1)",
        "bridges[0].name: missing required key (line 2)",
        "containers[0].interfaces[0].vf.nic: missing required key (line 7)",
    ])
}

@Test func exactlyOneOfTheAlternatives() {
    let yaml = """
    version: 1
    nics:
      - {name: eth1, match: {pci: "0000:01:00.0"}}
      - {match: {pci: "0000:01:00.0", mac: "02:00:00:00:00:01"}}
      - {sriov: {numVFs: 1}}
    bridges: [{name: br0}]
    containers:
      - name: web
        netns: web
        interfaces:
          - {name: eth0, veth: {bridge: br0}, vf: {nic: eth1, index: 0}}
          - {name: eth1}
    """
    #expect(problems(yaml) == [
        "nics[0]: give only one of name, match (line 3)",
        "nics[1].match: give only one of pci, mac (line 4)",
        "nics[2]: needs one of name, match (line 5)",
        "containers[0].interfaces[0]: give only one of veth, vf, macvlan, ipvlan, vlan (line 11)",
        "containers[0].interfaces[1]: needs one of veth, vf, macvlan, ipvlan, vlan (line 12)",
    ])
}

@Test func badValuesInsideLists() {
    let yaml = base(replacing: "addresses: [10.88.0.2/16]", with: "addresses: [10.88.0.300/16, 10.88.0.3]")
    #expect(problems(yaml) == [
        "containers[0].interfaces[0].addresses[0]: \"10.88.0.300/16\" is not an IPv4 or IPv6 prefix (line 17)",
        "containers[0].interfaces[0].addresses[1]: \"10.88.0.3\" has no prefix length; write it like 10.88.0.3/24 (line 17)",
    ])
}

@Test func enumeratedValuesListTheChoices() {
    let yaml = """
    version: 1
    nics:
      - name: eth1
        sriov: {numVFs: 1, vfs: [{index: 0, vlan: 5, vlanProto: 802.1x}]}
        tuning: {irqAffinity: everywhere}
    containers:
      - name: web
        netns: 1234
        ports: [{host: 1, container: 1, protocol: sctp}]
    """
    #expect(problems(yaml) == [
        "nics[0].sriov.vfs[0].vlanProto: expected one of 802.1Q, 802.1ad, got \"802.1x\" (line 4)",
        "nics[0].tuning.irqAffinity: expected spread or a list of CPU lists, got \"everywhere\" (line 5)",
        "containers[0].netns: expected a netns name, {pid: N} or {path: /run/netns/NAME}, got 1234; for a process write {pid: 1234} (line 8)",
        "containers[0].ports[0].protocol: expected one of tcp, udp, got \"sctp\" (line 9)",
    ])
}

@Test func fiveDifferentMistakesAreAllReported() {
    let yaml = """
    version: 2
    bridges:
      - name: br0
        addresses: [10.88.0.1/16]
        mtu: big
    containers:
      - name: web
        netns: web
        interfaces:
          - name: eth0
            veth: {bridge: br9}
            addresses: [10.88.0.2/16]
            colour: blue
        routes:
          - {to: default, via: 10.1.1.1}
    """
    #expect(problems(yaml) == [
        "version: unsupported version 2; this plumb reads version 1 (line 1)",
        "bridges[0].mtu: expected an integer, got \"big\" (line 5)",
        "containers[0].interfaces[0].veth.bridge: bridge br9 is not declared; declared bridges: br0 (line 11)",
        "containers[0].interfaces[0].colour: unknown key; expected one of name, veth, vf, macvlan, ipvlan, vlan, addresses, mtu, mac, sourceRouting (line 13)",
        "containers[0].routes[0]: via 10.1.1.1 is not reachable from any interface of container web (line 15)",
    ])
}

/// A rejected value must not also produce the semantic errors that merely follow from it.
@Test func aRejectedValueDoesNotCascade() {
    let yaml = base(replacing: "  - name: br0\n    addresses: [10.88.0.1/16]",
                    with: "  - nmae: br0\n    addresses: [10.88.0.1/166]")
    #expect(problems(yaml) == [
        "bridges[0].nmae: unknown key; expected one of name, addresses, mtu, nat (line 9)",
        "bridges[0].name: missing required key (line 9)",
        "bridges[0].addresses[0]: \"10.88.0.1/166\" is not an IPv4 or IPv6 prefix (line 10)",
    ])
}

@Test func syntaxErrorsCiteLibyamlsWordsAndLine() {
    #expect(problems("version: 1\nbridges:\n  - name: br0\n   mtu: 1500\n")
        == ["invalid YAML: while parsing a block collection: did not find expected '-' indicator (line 4)"])
    #expect(problems("version: 1\nbridges: [{name: br0}\n")
        == ["invalid YAML: while parsing a flow sequence: did not find expected ',' or ']' (line 3)"])
    #expect(problems("version: 1\nname: \u{01}x\n") == ["invalid YAML: control characters are not allowed (line 2)"])
}

@Test func emptyAndNonMappingDocuments() {
    #expect(problems("") == ["the manifest is empty; it needs at least version: 1"])
    #expect(problems("# nothing\n") == ["the manifest is empty; it needs at least version: 1"])
    #expect(problems("- version: 1\n") == ["expected a mapping, got a list (line 1)"])
}

@Test func nullMeansAbsentForOptionalKeys() throws {
    let m = load("version: 1\nname: ~\nbridges: [{name: br0, mtu: null, addresses: [10.0.0.1/8]}]\n")
    #expect(m?.name == "test")
    #expect(m?.bridges.first?.mtu == nil)
}
