import PlumbTypes
/// Policy routing: route tables, rules and `sourceRouting`, checked before any kernel is touched.
extension Checks {
    mutating func checkPolicyRouting() {
        for (name, number) in m.tables.sorted(by: { $0.key < $1.key }) {
            let path = "tables.\(name)"
            if RoutingTable.names[name] != nil || name == "local" || name == "all" || name == "unspec" {
                report(path, "\"\(name)\" is iproute2's own table name; choose another")
            } else if name.isEmpty || name.contains(where: { $0.isWhitespace || $0 == "/" }) || NodeReader.decimal(name) != nil {
                report(path, "\"\(name)\" is not a table name: a word, not a number, without spaces or /")
            }
            checkTable(number, at: path)
        }
        for (ri, r) in m.host.rules.enumerated() { checkRule(r, at: "host.rules[\(ri)]") }
        for (ci, c) in m.containers.enumerated() {
            let path = "containers[\(ci)]"
            for (ri, r) in c.routes.enumerated() { checkTable(r.table, at: "\(path).routes[\(ri)].table") }
            for (ri, r) in c.rules.enumerated() { checkRule(r, at: "\(path).rules[\(ri)]") }
            checkSourceRouting(c, at: path)
        }
    }

    /// 1–4294967295, not 255: the local table is the kernel's own (its addresses, broadcasts).
    mutating func checkTable(_ table: Int?, at path: String) {
        guard let table else { return }
        if table == RoutingTable.local {
            report(path, "255 is the local table, the kernel's own; use main, default or another number")
        } else {
            range(table, 1...Int(UInt32.max), at: path)
        }
    }

    mutating func checkRule(_ r: Rule, at path: String) {
        checkTable(r.table, at: path + ".table")
        range(r.priority, 1...Int(UInt32.max), at: path + ".priority")
        if let iif = r.iif { interfaceName(iif, at: path + ".iif") }
        if let oif = r.oif { interfaceName(oif, at: path + ".oif") }
        if let from = r.from, let to = r.to, from.family != to.family {
            report(path + ".to", "\(to) is \(familyName(to.family)) but from \(from) is \(familyName(from.family)): a rule is of one family")
        }
    }

    /// An interface with `sourceRouting` needs an address (its rules are `from ADDRESS`), and its
    /// table (100 + the interface's position) must not be one the container's routes or rules name.
    mutating func checkSourceRouting(_ c: Container, at path: String) {
        let declared = Set(c.routes.compactMap(\.table) + c.rules.map(\.table))
        for (ii, iface) in c.interfaces.enumerated() where iface.sourceRouting {
            let at = "\(path).interfaces[\(ii)].sourceRouting"
            if iface.addresses.isEmpty {
                report(at, "interface \(iface.name) has no address to route from")
            }
            let table = c.sourceRoutingTable(ii)
            if declared.contains(table) {
                report(at, "interface \(iface.name)'s source-routing table is \(table) (100 + its position), "
                       + "which a route or rule of container \(c.name) also names; use another table there")
            }
        }
    }
}
