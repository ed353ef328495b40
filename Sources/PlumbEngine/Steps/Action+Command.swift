import PlumbNetlink
import PlumbSystem
import PlumbTypes

extension Action {
    /// The command an operator would have typed for it (`ip`, `ethtool`, `sysctl`, `nft`).
    public var command: String {
        switch self {
        case .setSysctl(let s): return "sysctl -w \(s.key)=\(s.value.to)"
        case .createNamespace(let n): return "ip netns add \(n.name); ip -n \(n.name) link set lo up"
        case .deleteNamespace(let n): return "ip netns delete \(n.name)"
        case .createBridge(let b):
            return "ip link add \(b.name) address \(b.mac) type bridge" + (b.mtu.map { " mtu \($0)" } ?? "")
                + "; ip link set dev \(b.name) alias \(quoted(b.alias)) up"
        case .createVeth(let v):
            return "ip link add \(v.hostName) address \(v.hostMAC) master \(v.bridge) up type veth peer name \(v.peer.name)"
                + " address \(v.peerMAC) netns \(netnsArgument(v.peer.namespace))" + (v.mtu.map { " mtu \($0)" } ?? "")
                + "; \(v.peer.namespace.ipCommand) link set dev \(v.peer.name) alias \(quoted(v.alias))"
                + (v.peerIPv6 ? "" : " addrgenmode none") + " up"
        case .createMacvlan(let m):
            return "ip link add link \(m.parent) name \(m.birth.bornAs ?? m.link.name)" + (m.mode == .passthru ? "" : " address \(m.mac)") + " netns \(netnsArgument(m.link.namespace))"
                + (m.mtu.map { " mtu \($0)" } ?? "") + " type macvlan mode \(m.mode.rawValue)"
                + "; \(m.link.namespace.ipCommand) link set dev \(renaming(m.birth.bornAs, m.link.name)) alias \(quoted(m.alias))"
                + (m.ipv6 ? "" : " addrgenmode none") + " up"
        case .createIpvlan(let m):
            return "ip link add link \(m.parent) name \(m.birth.bornAs ?? m.link.name) netns \(netnsArgument(m.link.namespace))"
                + (m.mtu.map { " mtu \($0)" } ?? "") + " type ipvlan mode \(m.mode.rawValue) \(m.flag.rawValue)"
                + "; \(m.link.namespace.ipCommand) link set dev \(renaming(m.birth.bornAs, m.link.name)) alias \(quoted(m.alias))"
                + (m.ipv6 ? "" : " addrgenmode none") + " up"
        case .createVlan(let v):
            let born = v.parent.namespace == v.link.namespace ? "" : " netns \(netnsArgument(v.link.namespace))"
            return "\(v.parent.namespace.ipCommand) link add link \(v.parent.name) name \(v.birth.bornAs ?? v.link.name)"
                + (v.mac.map { " address \($0)" } ?? "") + born + (v.mtu.map { " mtu \($0)" } ?? "")
                + " type vlan id \(v.id) protocol \(v.proto.rawValue)"
                + "; \(v.link.namespace.ipCommand) link set dev \(renaming(v.birth.bornAs, v.link.name)) alias \(quoted(v.alias))"
                + (v.ipv6 ? "" : " addrgenmode none") + " up"
        case .setLink(let u): return "\(u.link.namespace.ipCommand) link set dev \(u.link.name)" + u.to.arguments
        case .deleteLink(let d): return "\(d.link.namespace.ipCommand) link del dev \(d.link.name)"
        case .addAddress(let a): return "\(a.link.namespace.ipCommand) addr add \(a.prefix) dev \(a.link.name)"
        case .deleteAddress(let a): return "\(a.link.namespace.ipCommand) addr del \(a.prefix) dev \(a.link.name)"
        case .addRoute(let r): return "\(r.link.namespace.ipCommand) route add \(r.routeText)"
        case .deleteRoute(let r): return "\(r.link.namespace.ipCommand) route del \(r.routeText)"
        case .addRule(let r): return "\(r.namespace.ipCommand)\(r.rule.family == .v6 ? " -6" : "") rule add \(r.rule.text) proto \(r.rule.proto)"
        case .deleteRule(let r): return "\(r.namespace.ipCommand)\(r.rule.family == .v6 ? " -6" : "") rule del \(r.rule.text)"
        case .replaceTable(let t) where t.previous == nil && t.content.isRuleset:
            return "nft -f - (create table \(t.table) { comment … }; table \(t.table) { … })"
        case .replaceTable(let t):
            return "nft -f - (add table \(t.table); delete table \(t.table); table \(t.table) { … })"
        case .deleteTable(let t): return "nft delete table \(t.table)"
        case .setRings(let c):
            return "ethtool -G \(c.nic)" + options([("rx", c.rx.map { "\($0.to)" }), ("tx", c.tx.map { "\($0.to)" })])
        case .setChannels(let c):
            return "ethtool -L \(c.nic)" + options([("combined", c.combined.map { "\($0.to)" }),
                                                  ("rx", c.rx.map { "\($0.to)" }), ("tx", c.tx.map { "\($0.to)" })])
        case .setCoalesce(let c):
            return "ethtool -C \(c.nic)" + options(c.values.keys.sorted().map { ($0.option, $0.show(c.values[$0]!.to)) })
        case .setOffload(let c): return "ethtool -K \(c.nic) \(c.name) \(onOff(c.on))"
        case .setTxQueueLen(let c): return "ip link set dev \(c.nic) txqueuelen \(c.length.to)"
        case .setQueueSteering(let c): return c.command
        case .setRSS(let c): return c.command
        case .setRxHash(let c): return "ethtool -N \(c.nic) rx-flow-hash \(c.flow.rawValue) \(c.fields.to)"
        case .setIRQAffinity(let c):
            return "echo \(c.cpus.to) > /proc/irq/\(c.irq)/smp_affinity_list   (\(c.queue.isEmpty ? c.nic : c.queue))"
        case .setPFAdmin(let c): return "ip link set dev \(c.pf) \(c.up.to ? "up" : "down")"
        case .setEswitchMode(let c): return "devlink dev eswitch set \(c.device) mode \(c.mode.to)"
        case .setNumVFs(let w): return "echo \(w.count.to) > /sys/class/net/\(w.pf)/device/sriov_numvfs"
        case .writeModprobe(let w):
            if let n = w.count { return "echo 'options igb max_vfs=\(n)' > \(w.file.path)" }
            return w.text.to == nil ? "rm \(w.file.path)" : "restore \(w.file.path) as it was"
        case .setVF(let u): return "ip link set dev \(u.pf) vf \(u.vf)" + u.settings.arguments
        case .moveVF(let m):
            return "ip link set dev \(m.hostName ?? "<VF \(m.vf) of \(m.pf)>") netns \(netnsArgument(m.to.namespace)) name \(m.to.name)"
                + "; \(m.to.namespace.ipCommand) link set dev \(m.to.name)" + (m.mtu.map { " mtu \($0)" } ?? "")
                + " alias \(quoted(m.alias)) up"
        case .returnVF(let r) where r.from.namespace == .host:
            return "ip link set dev \(r.from.name)" + (r.hostName.map { $0 == r.from.name ? "" : " name \($0)" } ?? "")
                + (r.restore?.arguments ?? "")
        case .returnVF(let r):
            return "\(r.from.namespace.ipCommand) link set dev \(r.from.name) netns 1 name \(r.hostName ?? "eth%d")"
                + (r.restore.map { "; ip link set dev \(r.hostName ?? "eth%d")" + $0.arguments } ?? "")
        case .bindVF(let b):
            let pci = b.pciAddress ?? "<VF \(b.vf) of \(b.pf)>", dev = "/sys/bus/pci/devices/\(pci)"
            // nil: no override, the driver the kernel picks (igbvf for a VF made by the same apply).
            return "echo \(b.driver.to.map { "\($0) " } ?? "")> \(dev)/driver_override; echo \(pci) > \(dev)/driver/unbind; echo \(pci) > /sys/bus/pci/drivers_probe"
                + (b.toUserspace || b.driver.to == nil ? "" : "; echo > \(dev)/driver_override")
                + "   (VF \(b.vf) of \(b.pf): \(b.driver.from ?? "the kernel's choice") → \(b.driver.to ?? "the kernel's choice")"
                + (b.toUserspace ? b.iommuGroup.map { ", /dev/vfio/\($0)" } ?? "" : "") + ")"
        }
    }
}

/// `ip link … netns X` takes a name or a pid; a path is opened by nsenter.
func netnsArgument(_ ns: NamespaceRef) -> String {
    switch ns {
    case .host: return "1"
    case .named(let n): return n
    case .pid(let p): return String(p)
    case .path(let p): return p
    }
}

func quoted(_ s: String) -> String { s.contains(" ") ? "\"\(s)\"" : s }
func onOff(_ b: Bool) -> String { b ? "on" : "off" }

/// " rx 4096 tx 4096": the present options, in order.
func options(_ pairs: [(String, String?)]) -> String {
    pairs.compactMap { name, value in value.map { " \(name) \($0)" } }.joined()
}

extension LinkSettings {
    /// " mtu 1400 address … master br0 alias … up", as `ip link set` takes them.
    var arguments: String {
        options([("name", name), ("mtu", mtu.map(String.init)), ("address", mac?.description)])
            + (master.map { " \($0)" } ?? "") + (alias.map { " alias \(quoted($0))" } ?? "")
            + (up.map { $0 ? " up" : " down" } ?? "")
    }
}

extension RouteChange {
    var routeText: String {
        (route.to.isDefault ? "default" : route.to.network.description) + (route.via.map { " via \($0)" } ?? "")
            + " dev \(link.name)" + (route.metric == 0 ? "" : " metric \(route.metric)")
            + (route.table == RouteInfo.mainTable ? "" : " table \(route.table)")
    }
}

extension VFSettingsChange {
    /// " mac M vlan V qos Q spoofchk on …", as `ip link set PF vf N` takes them.
    var arguments: String {
        var parts: [String] = []
        if let m = mac { parts.append("mac \(m.to)") }
        if let v = vlan { parts.append(v.to.description) }
        if let r = minTxRate { parts.append("min_tx_rate \(r.to)") }
        if let r = maxTxRate { parts.append("max_tx_rate \(r.to)") }
        if let s = spoofCheck { parts.append("spoofchk \(onOff(s.to))") }
        if let l = linkState { parts.append("state \(l.to.rawValue)") }
        if let q = queryRSS { parts.append("query_rss \(onOff(q.to))") }
        if let t = trust { parts.append("trust \(onOff(t.to))") }
        return parts.map { " \($0)" }.joined()
    }
}

extension QueueSteeringChange {
    /// `echo 3 > /sys/class/net/eth1/queues/rx-0/rps_cpus; echo 4096 > …/rps_flow_cnt   (CPUs 0-1)`.
    var command: String {
        let dir = "/sys/class/net/\(nic)/queues/\(queue)"
        var parts: [String] = []
        if let c = cpus {
            parts.append("echo \(CPUMask.format(c.to)) > \(dir)/\(queue.hasPrefix("rx-") ? "rps_cpus" : "xps_cpus")")
        }
        if let f = flowCount { parts.append("echo \(f.to) > \(dir)/rps_flow_cnt") }
        return parts.joined(separator: "; ") + (cpus.map { "   (CPUs \($0.to.isEmpty ? "none" : $0.to.description))" } ?? "")
    }
}

extension Action {
    /// "TEMP name FINAL" for a link born under a temporary name, else "FINAL".
    func renaming(_ bornAs: String?, _ name: String) -> String {
        bornAs.map { "\($0) name \(name)" } ?? name
    }
}
