/// Builds the model from the YAML tree, key by key (the README's manifest reference).
///
/// Not Codable on purpose: Codable stops at the first error and knows no lines. Here every
/// reader logs its problem and yields nil, the caller substitutes a placeholder, and the walk
/// goes on. The model is only handed out when the log is empty, so placeholders never escape.
enum Decode {
    static let topKeys = ["name", "version", "host", "nics", "bridges", "containers", "tables"]

    static func manifest(_ r: NodeReader, defaultName: String) -> Manifest {
        guard let o = r.object(topKeys) else { return Manifest(name: defaultName) }
        // Named routing tables first: routes and rules anywhere below may use the names.
        let tables = o.optional("tables").map(routingTables) ?? [:]
        var m = Manifest(
            name: o.string("name") ?? defaultName,
            version: o.required("version")?.int() ?? 1,
            host: o.optional("host").map { host($0, tables: tables) } ?? Host(),
            nics: o.optional("nics")?.list()?.map(nic) ?? [],
            bridges: o.optional("bridges")?.list()?.map(bridge) ?? [],
            containers: o.optional("containers")?.list()?.map { container($0, tables: tables) } ?? [])
        m.tables = tables
        return m
    }

    /// `tables: {storage: 100}`: names for routing tables, as `/etc/iproute2/rt_tables` gives them.
    static func routingTables(_ r: NodeReader) -> [String: Int] {
        guard let o = r.object(nil) else { return [:] }
        var out: [String: Int] = [:]
        for (name, value) in o.entries {
            guard let n = value.int() else { continue }
            out[name] = n
        }
        return out
    }

    static func host(_ r: NodeReader, tables: [String: Int]) -> Host {
        guard let o = r.object(["sysctl", "rules"]) else { return Host() }
        let sysctl = o.optional("sysctl")?.object(nil)?.entries.map { Sysctl(key: $0.key, value: sysctlValue($0.value) ?? "") } ?? []
        return Host(sysctl: sysctl, rules: o.optional("rules")?.list()?.map { rule($0, tables: tables) } ?? [])
    }

    /// The text /proc/sys takes: numbers and strings as written, booleans as 1 and 0.
    static func sysctlValue(_ r: NodeReader) -> String? {
        guard let s = r.scalar, !r.isNull else {
            r.expected("a number, true/false or a string")
            return nil
        }
        if s.plain, let b = NodeReader.boolean(s.text) { return b ? "1" : "0" }
        return s.text
    }

    static func bridge(_ r: NodeReader) -> Bridge {
        guard let o = r.object(["name", "addresses", "mtu", "nat"]) else { return Bridge(name: "") }
        let nat = o.optional("nat")?.object(["masquerade"]).map { NAT(masquerade: $0.bool("masquerade") ?? false) }
        return Bridge(name: o.required("name")?.string() ?? "",
                      addresses: o.optional("addresses")?.prefixes() ?? [],
                      mtu: o.int("mtu"), nat: nat)
    }
}
