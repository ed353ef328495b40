/// Builds the model from the YAML tree, key by key (the README's manifest reference).
///
/// Not Codable on purpose: Codable stops at the first error and knows no lines. Here every
/// reader logs its problem and yields nil, the caller substitutes a placeholder, and the walk
/// goes on. The model is only handed out when the log is empty, so placeholders never escape.
enum Decode {
    static let topKeys = ["name", "version", "host", "nics", "bridges", "containers"]

    static func manifest(_ r: NodeReader, defaultName: String) -> Manifest {
        guard let o = r.object(topKeys) else { return Manifest(name: defaultName) }
        return Manifest(
            name: o.string("name") ?? defaultName,
            version: o.required("version")?.int() ?? 1,
            host: o.optional("host").map(host) ?? Host(),
            nics: o.optional("nics")?.list()?.map(nic) ?? [],
            bridges: o.optional("bridges")?.list()?.map(bridge) ?? [],
            containers: o.optional("containers")?.list()?.map(container) ?? [])
    }

    static func host(_ r: NodeReader) -> Host {
        guard let o = r.object(["sysctl", "rules"]) else { return Host() }
        let sysctl = o.optional("sysctl")?.object(nil)?.entries.map { Sysctl(key: $0.key, value: sysctlValue($0.value) ?? "") } ?? []
        return Host(sysctl: sysctl, rules: o.optional("rules")?.list()?.map(rule) ?? [])
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
