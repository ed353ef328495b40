import PlumbTypes
/// `nics[]`: physical functions, their VFs and their receive tuning.
extension Decode {
    static func nic(_ r: NodeReader) -> NIC {
        guard let o = r.object(["name", "match", "sriov", "tuning"]) else { return NIC(selector: .name("")) }
        let found = selector(o)
        if found == nil { r.log.reject(ManifestPath.key(r.path, "name")) }
        return NIC(selector: found ?? .name(""),
                   sriov: o.optional("sriov").map(sriov),
                   tuning: o.optional("tuning").map(tuning))
    }

    /// `name: eth1` or `match: {pci: …}` / `match: {mac: …}`: exactly one way to find the PF.
    static func selector(_ o: ObjectReader) -> NIC.Selector? {
        guard let (key, r) = o.exactlyOne(of: ["name", "match"]) else { return nil }
        if key == "name" { return r.string().map(NIC.Selector.name) }
        guard let match = r.object(["pci", "mac"]), let (by, value) = match.exactlyOne(of: ["pci", "mac"]) else {
            return nil
        }
        // sysfs spells PCI addresses in lowercase; accept what lspci users may type.
        return by == "pci" ? value.string().map { .pci($0.lowercased()) } : value.mac().map(NIC.Selector.mac)
    }

    static func sriov(_ r: NodeReader) -> SRIOV {
        guard let o = r.object(["numVFs", "persist", "allowDisruptive", "vfs", "eswitchMode"]) else { return SRIOV(numVFs: 0) }
        return SRIOV(numVFs: o.required("numVFs")?.int() ?? 0,
                     persist: o.bool("persist") ?? false,
                     allowDisruptive: o.bool("allowDisruptive") ?? false,
                     vfs: o.optional("vfs")?.list()?.map(vf) ?? [],
                     eswitchMode: o.optional("eswitchMode")?.choice(EswitchMode.allCases.map(\.rawValue)).flatMap(EswitchMode.init(rawValue:)))
    }

    static let vfKeys = ["index", "vlan", "qos", "vlanProto", "mac", "spoofCheck", "trust", "maxTxRate", "minTxRate",
                         "linkState", "queryRSS"]

    static func vf(_ r: NodeReader) -> VFConfig {
        guard let o = r.object(vfKeys) else { return VFConfig(index: 0) }
        let proto = o.optional("vlanProto")?.choice(["802.1Q", "802.1ad"]).flatMap(VLANProtocol.init(rawValue:))
        return VFConfig(index: o.required("index")?.int() ?? 0, vlan: o.int("vlan"), qos: o.int("qos"),
                        vlanProto: proto, mac: o.optional("mac")?.mac(),
                        spoofCheck: o.bool("spoofCheck"), trust: o.bool("trust"),
                        maxTxRate: o.int("maxTxRate"), minTxRate: o.int("minTxRate"),
                        linkState: o.optional("linkState")?.choice(VFLinkState.allCases.map(\.rawValue)).flatMap(VFLinkState.init(rawValue:)),
                        queryRSS: o.bool("queryRSS"))
    }

    /// Every `Tuning.Coalesce.Key`: the adaptive switches as booleans, the rest as counts.
    static func coalesce(_ r: NodeReader) -> Tuning.Coalesce? {
        guard let o = r.object(Tuning.Coalesce.Key.allCases.map(\.rawValue)) else { return nil }
        var values: [Tuning.Coalesce.Key: Int] = [:]
        for key in Tuning.Coalesce.Key.allCases {
            values[key] = key.isSwitch ? o.bool(key.rawValue).map { $0 ? 1 : 0 } : o.int(key.rawValue)
        }
        return Tuning.Coalesce(values)
    }

    static func tuning(_ r: NodeReader) -> Tuning {
        guard let o = r.object(["rings", "channels", "coalesce", "offloads", "irqAffinity", "rps", "xps", "rss", "txqueuelen"]) else {
            return Tuning()
        }
        return Tuning(
            rings: o.optional("rings")?.object(["rx", "tx"]).map { Tuning.Rings(rx: $0.int("rx"), tx: $0.int("tx")) },
            channels: o.optional("channels")?.object(["combined", "rx", "tx"]).map {
                Tuning.Channels(combined: $0.int("combined"), rx: $0.int("rx"), tx: $0.int("tx"))
            },
            coalesce: o.optional("coalesce").flatMap(coalesce),
            offloads: o.optional("offloads").flatMap(offloads),
            irqAffinity: o.optional("irqAffinity").flatMap(irqAffinity),
            rps: o.optional("rps").flatMap { steering($0, flowEntries: true) },
            xps: o.optional("xps").flatMap { steering($0, flowEntries: false) },
            rss: o.optional("rss").flatMap(rss),
            txqueuelen: o.int("txqueuelen"))
    }

    /// `{equal: N | weights: [...], hashKey: "6d:5a:…", hashFields: {tcp4: [sd, fn], udp4: sd}}`.
    static func rss(_ r: NodeReader) -> Tuning.RSS? {
        guard let o = r.object(["equal", "weights", "hashKey", "hashFields"]) else { return nil }
        var rss = Tuning.RSS(hashKey: o.string("hashKey"))
        if o.has("equal") && o.has("weights") {
            o.optional("weights")?.fail("give equal or weights, not both")
        } else if let n = o.int("equal") {
            rss.table = .equal(n)
        } else if let w = o.optional("weights")?.list() {
            rss.table = .weights(w.map { $0.int() ?? 0 })
        }
        if let h = o.optional("hashFields")?.object(RxFlowType.allCases.map(\.rawValue)) {
            rss.hashFields = h.entries.compactMap { e in
                guard let flow = RxFlowType(rawValue: e.key), let fields = hashFields(e.value) else { return nil }
                return Tuning.RSS.HashFields(flow, fields)
            }
        }
        return rss
    }

    /// ethtool's letters as one string ("sdfn") or groups (`[sd, fn]`).
    static func hashFields(_ r: NodeReader) -> RxHashFields? {
        let text: String?
        if case .sequence = r.node { text = r.list()?.compactMap { $0.string() }.joined() } else { text = r.string() }
        guard let text else { return nil }
        guard let f = RxHashFields(letters: text) else {
            r.fail("\"\(text)\" is not rx-flow-hash fields: letters m v t s d f n r, as ethtool -N takes them")
            return nil
        }
        return f
    }

    /// Any feature name: which names exist is the device's to say, so the planner
    /// checks them against what the kernel lists (with close matches).
    static func offloads(_ r: NodeReader) -> Tuning.Offloads? {
        guard let o = r.object(nil) else { return nil }
        return Tuning.Offloads(o.entries.compactMap { e in e.value.bool().map { Tuning.Offloads.Setting(e.key, $0) } })
    }

    /// `{cpus: "0-1" | spread, flowEntries: N}` for every queue, or a list of them, one per queue.
    static func steering(_ r: NodeReader, flowEntries: Bool) -> Tuning.Steering? {
        if case .sequence = r.node {
            return r.list().map { .each($0.compactMap { queueSteering($0, flowEntries: flowEntries) }) }
        }
        return queueSteering(r, flowEntries: flowEntries).map(Tuning.Steering.all)
    }

    static func queueSteering(_ r: NodeReader, flowEntries: Bool) -> Tuning.QueueSteering? {
        guard let o = r.object(flowEntries ? ["cpus", "flowEntries"] : ["cpus"]), let c = o.required("cpus"),
              let text = c.string() else { return nil }
        return Tuning.QueueSteering(cpus: text == "spread" ? .spread : .list(text),
                                    flowEntries: flowEntries ? o.int("flowEntries") : nil)
    }

    /// `spread`, or one CPU list per queue (their syntax is checked by the validator).
    static func irqAffinity(_ r: NodeReader) -> Tuning.IRQAffinity? {
        if r.scalar?.text == "spread" { return .spread }
        guard case .sequence = r.node, let items = r.list() else {
            r.expected("spread or a list of CPU lists")
            return nil
        }
        return .lists(items.map { $0.string() ?? "0" })
    }
}
