import PlumbTypes
/// `containers[]`: a namespace, the interfaces put into it, its routes and its port forwards.
extension Decode {
    static func container(_ r: NodeReader, tables: [String: Int]) -> Container {
        guard let o = r.object(["name", "netns", "interfaces", "routes", "rules", "ports"]) else {
            return Container(name: "", netns: nil)
        }
        return Container(name: o.required("name")?.string() ?? "",
                         netns: o.optional("netns").flatMap(netns),
                         interfaces: o.optional("interfaces")?.list()?.map(interface) ?? [],
                         routes: o.optional("routes")?.list()?.map { route($0, tables: tables) } ?? [],
                         ports: o.optional("ports")?.list()?.map(port) ?? [],
                         rules: o.optional("rules")?.list()?.map { rule($0, tables: tables) } ?? [])
    }

    /// `web` (named, like `ip netns add web`), `{pid: 1234}` or `{path: /proc/1234/ns/net}`.
    static func netns(_ r: NodeReader) -> NamespaceRef? {
        let forms = "a netns name, {pid: N} or {path: /run/netns/NAME}"
        if let s = r.scalar {
            // A bare number is almost surely a pid written the short way: refuse to guess.
            if s.plain, let pid = NodeReader.decimal(s.text) {
                r.fail("expected \(forms), got \(pid); for a process write {pid: \(pid)}")
                return nil
            }
            return r.string().map(NamespaceRef.named)
        }
        guard case .mapping = r.node else { r.expected(forms); return nil }
        guard let o = r.object(["pid", "path"]), let (key, value) = o.exactlyOne(of: ["pid", "path"]) else { return nil }
        return key == "pid" ? value.int().map(NamespaceRef.pid) : value.string().map(NamespaceRef.path)
    }

    static func interface(_ r: NodeReader) -> Interface {
        let placeholder = Interface(name: "", kind: .veth(bridge: "", hostName: nil))
        guard let o = r.object(["name", "veth", "vf", "macvlan", "ipvlan", "vlan", "addresses", "mtu", "mac", "sourceRouting"]) else { return placeholder }
        let kind = interfaceKind(o)
        if kind == nil { r.log.reject(ManifestPath.key(r.path, "veth")) }
        return Interface(name: o.required("name")?.string() ?? "",
                         kind: kind ?? placeholder.kind,
                         addresses: o.optional("addresses")?.prefixes() ?? [],
                         mtu: o.int("mtu"), mac: o.optional("mac")?.mac(),
                         sourceRouting: o.bool("sourceRouting") ?? false)
    }

    /// Exactly one of `veth: {bridge, hostName}`, `vf: {nic, index}`, `macvlan: {parent, mode}`,
    /// `ipvlan: {parent, mode}` and `vlan: {parent, id, protocol}`.
    static func interfaceKind(_ o: ObjectReader) -> Interface.Kind? {
        guard let (key, r) = o.exactlyOne(of: ["veth", "vf", "macvlan", "ipvlan", "vlan"]) else { return nil }
        if key == "macvlan" { return macvlan(r) }
        if key == "ipvlan" { return ipvlan(r) }
        if key == "vlan" { return vlan(r) }
        if key == "veth" {
            guard let v = r.object(["bridge", "hostName"]), let bridge = v.required("bridge")?.string() else { return nil }
            return .veth(bridge: bridge, hostName: v.string("hostName"))
        }
        guard let v = r.object(["nic", "index", "driver"]) else { return nil }
        let nic = v.required("nic")?.string(), index = v.required("index")?.int()
        let driver = v.optional("driver")?.choice(VFUserspaceDriver.allCases.map(\.rawValue))
        guard let nic, let index else { return nil }
        if let driver { return VFUserspaceDriver(rawValue: driver).map { .userspaceVF(nic: nic, index: index, driver: $0) } }
        return .vf(nic: nic, index: index)
    }

    /// `macvlan: {parent: eth0, mode: bridge}`; the mode defaults to `bridge` (what the CNI
    /// macvlan plugin does), not to the kernel's `vepa`, which needs a hairpin switch.
    static func macvlan(_ r: NodeReader) -> Interface.Kind? {
        guard let v = r.object(["parent", "mode"]), let parent = v.required("parent")?.string() else { return nil }
        guard let modeNode = v.optional("mode") else { return .macvlan(parent: parent, mode: .bridge) }
        guard let mode = modeNode.choice(MacvlanMode.names).flatMap(MacvlanMode.init(rawValue:)) else { return nil }
        return .macvlan(parent: parent, mode: mode)
    }

    /// `ipvlan: {parent: eth0, mode: l2, flags: bridge}`; the mode defaults to `l2`, as in the
    /// CNI ipvlan plugin and the kernel, the flag to the kernel's `bridge`.
    static func ipvlan(_ r: NodeReader) -> Interface.Kind? {
        guard let v = r.object(["parent", "mode", "flags"]), let parent = v.required("parent")?.string() else { return nil }
        var mode = IpvlanMode.l2, flag = IpvlanFlag.bridge
        if let node = v.optional("mode") {
            guard let m = node.choice(IpvlanMode.names).flatMap(IpvlanMode.init(rawValue:)) else { return nil }
            mode = m
        }
        if let node = v.optional("flags") {
            guard let f = node.choice(IpvlanFlag.names).flatMap(IpvlanFlag.init(rawValue:)) else { return nil }
            flag = f
        }
        return .ipvlan(parent: parent, mode: mode, flag: flag)
    }

    /// `vlan: {parent: eth0, id: 12, protocol: 802.1Q}`; the protocol defaults to 802.1Q.
    static func vlan(_ r: NodeReader) -> Interface.Kind? {
        guard let v = r.object(["parent", "id", "protocol"]), let parent = v.required("parent")?.string(),
              let id = v.required("id")?.int() else { return nil }
        guard let protoNode = v.optional("protocol") else { return .vlan(parent: parent, id: id, protocol: .dot1q) }
        guard let proto = protoNode.choice(VLANProtocol.allCases.map(\.rawValue)).flatMap(VLANProtocol.init(rawValue:)) else { return nil }
        return .vlan(parent: parent, id: id, protocol: proto)
    }

    /// `to` is `default`, a prefix, or a bare address (a host route). `default` takes the
    /// family of `via`, so `{to: default, via: fe80::1}` is the IPv6 default route.
    static func route(_ r: NodeReader, tables: [String: Int] = [:]) -> Route {
        guard let o = r.object(["to", "via", "dev", "metric", "table"]) else { return Route(to: .defaultRoute(.v4)) }
        let via = o.optional("via")?.address()
        return Route(to: o.required("to").flatMap { destination($0, family: via?.family ?? .v4) } ?? .defaultRoute(.v4),
                     via: via, dev: o.string("dev"), metric: o.int("metric"), table: o.optional("table").flatMap { table($0, names: tables) })
    }

    /// `main`, `default`, a name the manifest's `tables` declares, or a number
    /// (1–4294967295; 255, `local`, is the kernel's own).
    static func table(_ r: NodeReader, names: [String: Int]) -> Int? {
        if let s = r.scalar, s.plain, NodeReader.decimal(s.text) != nil { return r.int() }
        guard let text = r.string() else { return nil }
        if let t = RoutingTable.names[text] ?? names[text] { return t }
        let known = (RoutingTable.names.keys.sorted() + names.keys.sorted()).joined(separator: ", ")
        r.fail("expected a table number or one of \(known) (names come from tables:), got \"\(text)\"")
        return nil
    }

    /// `{from, to, iif, oif, fwmark, table, priority}`: `table` is required (the rule's
    /// lookup); `fwmark` is a number or "MARK/MASK" (`0x10/0xff`).
    static func rule(_ r: NodeReader, tables: [String: Int]) -> Rule {
        guard let o = r.object(["from", "to", "iif", "oif", "fwmark", "table", "priority"]) else { return Rule(table: 0) }
        let (mark, mask) = o.optional("fwmark").flatMap(fwmark) ?? (nil, nil)
        return Rule(from: o.optional("from").flatMap { rulePrefix($0) }, to: o.optional("to").flatMap { rulePrefix($0) },
                    iif: o.string("iif"), oif: o.string("oif"), fwmark: mark, fwmask: mask,
                    table: o.required("table").flatMap { table($0, names: tables) } ?? 0, priority: o.int("priority"))
    }

    /// A prefix or a bare address (a /32, /128), as `ip rule` takes it.
    static func rulePrefix(_ r: NodeReader) -> IPPrefix? {
        guard let text = r.string() else { return nil }
        if let p = IPPrefix(text, allowBare: true) { return p }
        r.fail("\"\(text)\" is not a prefix or an address")
        return nil
    }

    /// `16`, `0x10` or `"0x10/0xff"`: the mark and its mask (nil: all ones).
    static func fwmark(_ r: NodeReader) -> (UInt32?, UInt32?)? {
        guard let text = r.scalar?.text else { r.expected("a mark like 16, 0x10 or \"0x10/0xff\""); return nil }
        func number(_ t: String) -> UInt32? {
            t.hasPrefix("0x") ? UInt32(t.dropFirst(2), radix: 16) : UInt32(t)
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2, let mark = number(parts[0]) else {
            r.fail("\"\(text)\" is not a mark like 16, 0x10 or \"0x10/0xff\"")
            return nil
        }
        guard parts.count == 2 else { return (mark, nil) }
        guard let mask = number(parts[1]) else {
            r.fail("\"\(text)\" has no mask after /: write it like \"0x10/0xff\"")
            return nil
        }
        return (mark, mask)
    }

    static func destination(_ r: NodeReader, family: IPFamily) -> IPPrefix? {
        guard let text = r.string() else { return nil }
        if text == "default" { return .defaultRoute(family) }
        if let p = IPPrefix(text, allowBare: true) { return p }
        r.fail("\"\(text)\" is not default, a prefix or an address")
        return nil
    }

    static func port(_ r: NodeReader) -> PortForward {
        guard let o = r.object(["host", "container", "protocol"]) else { return PortForward(host: 0, container: 0) }
        let proto = o.optional("protocol")?.choice(["tcp", "udp"]).flatMap(PortForward.Proto.init(rawValue:))
        return PortForward(host: o.required("host")?.int() ?? 0, container: o.required("container")?.int() ?? 0,
                           proto: proto ?? .tcp)
    }
}
