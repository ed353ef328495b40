import PlumbTypes
/// Numbers and values the kernel would reject, checked with the range in the message.
extension Checks {
    mutating func checkRanges() {
        if m.version != 1 { report("version", "unsupported version \(m.version); this plumb reads version 1") }
        for (ni, nic) in m.nics.enumerated() { checkNIC(nic, at: "nics[\(ni)]") }
        for (bi, b) in m.bridges.enumerated() { range(b.mtu, 68...65535, at: "bridges[\(bi)].mtu") }
        for site in interfaceSites { checkInterface(site) }
        checkSharedParents()
        for (ci, c) in m.containers.enumerated() { checkContainerNumbers(c, at: "containers[\(ci)]") }
    }

    mutating func checkNIC(_ nic: NIC, at path: String) {
        if let sriov = nic.sriov {
            range(sriov.numVFs, 0...256, at: path + ".sriov.numVFs")
            for (vi, vf) in sriov.vfs.enumerated() {
                checkVF(vf, of: nic, at: "\(path).sriov.vfs[\(vi)]")
            }
        }
        if let tuning = nic.tuning { checkTuning(tuning, at: path + ".tuning") }
    }

    mutating func checkVF(_ vf: VFConfig, of nic: NIC, at path: String) {
        vfIndex(vf.index, of: nic, at: path + ".index")
        range(vf.vlan, 0...4095, at: path + ".vlan")
        range(vf.qos, 0...7, at: path + ".qos")
        // `ip link set … vf N vlan V [qos Q] [proto P]`: qos and proto only qualify a VLAN.
        if vf.vlan == nil, vf.qos != nil { report(path + ".qos", "qos needs vlan") }
        if vf.vlan == nil, vf.vlanProto != nil { report(path + ".vlanProto", "vlanProto needs vlan") }
        range(vf.maxTxRate, 0...Int(UInt32.max), at: path + ".maxTxRate")
        range(vf.minTxRate, 0...Int(UInt32.max), at: path + ".minTxRate")
        // The kernel refuses a minimum above a set maximum (EINVAL).
        if let min = vf.minTxRate, let max = vf.maxTxRate, max > 0, min > max {
            report(path + ".minTxRate", "\(min) is above maxTxRate \(max)", involving: [path + ".maxTxRate"])
        }
        unicast(vf.mac, at: path + ".mac")
    }

    /// 0-255 (the netlink VF index space igb and friends use), and inside the declared count.
    mutating func vfIndex(_ index: Int, of nic: NIC, at path: String) {
        if !(0...255).contains(index) {
            report(path, "\(index) is out of range 0-255")
        } else if let count = nic.sriov?.numVFs, index >= count {
            let nicPath = m.nics.firstIndex(of: nic).map { "nics[\($0)].sriov.numVFs" }
            report(path, "\(index) is beyond numVFs \(count) of \(nic.reference)", involving: nicPath.map { [$0] } ?? [])
        }
    }

    mutating func checkTuning(_ t: Tuning, at path: String) {
        positive(t.rings?.rx, at: path + ".rings.rx")
        positive(t.rings?.tx, at: path + ".rings.tx")
        positive(t.channels?.combined, at: path + ".channels.combined")
        positive(t.channels?.rx, at: path + ".channels.rx")
        positive(t.channels?.tx, at: path + ".channels.tx")
        for key in Tuning.Coalesce.Key.allCases where !key.isSwitch {
            range(t.coalesce?.values[key], 0...Int(UInt32.max), at: path + ".coalesce.\(key.rawValue)")
        }
        range(t.txqueuelen, 1...Int(UInt32.max), at: path + ".txqueuelen")
        checkRSS(t.rss, at: path + ".rss")
        checkSteering(t.rps, at: path + ".rps")
        checkSteering(t.xps, at: path + ".xps")
        guard case .lists(let lists) = t.irqAffinity else { return }
        for (i, list) in lists.enumerated() where CPUList.parse(list) == nil {
            report("\(path).irqAffinity[\(i)]", "\"\(list)\" is not a CPU list like \"0\" or \"1-3,5\"")
        }
    }

    /// CPU list syntax and flow table sizes; the queue count is the device's (plan time).
    /// The table's size and queues are the driver's to limit (the planner checks them).
    mutating func checkRSS(_ r: Tuning.RSS?, at path: String) {
        guard let r else { return }
        switch r.table {
        case .equal(let n)?: positive(n, at: path + ".equal")
        case .weights(let w)?:
            for (i, v) in w.enumerated() { range(v, 0...Int(UInt32.max), at: "\(path).weights[\(i)]") }
            if w.isEmpty || w.allSatisfy({ $0 == 0 }) { report(path + ".weights", "needs at least one queue with a weight above 0") }
        case nil: break
        }
        if let key = r.hashKey, Tuning.RSS.keyBytes(key) == nil {
            report(path + ".hashKey", "\"\(key)\" is not a hash key: hex bytes separated by colons, like \"6d:5a:56:da\"")
        }
    }

    mutating func checkSteering(_ s: Tuning.Steering?, at path: String) {
        let items: [(String, Tuning.QueueSteering)]
        switch s {
        case nil: return
        case .all(let q)?: items = [(path, q)]
        case .each(let qs)?: items = qs.enumerated().map { ("\(path)[\($0.offset)]", $0.element) }
        }
        for (p, q) in items {
            if case .list(let text) = q.cpus, CPUList.parse(text) == nil {
                report(p + ".cpus", "\"\(text)\" is neither spread nor a CPU list like \"0\" or \"1-3,5\"")
            }
            // The kernel rounds rps_flow_cnt up to a power of two and shows the rounded
            // value: any other number would read back as drift forever.
            if let n = q.flowEntries, n != 0 && (n < 0 || n > 1 << 30 || n & (n - 1) != 0) {
                report(p + ".flowEntries", "\(n) is not 0 or a power of two up to 1073741824 (the kernel rounds rps_flow_cnt up to one)")
            }
        }
    }

    mutating func checkInterface(_ site: InterfaceSite) {
        range(site.interface.mtu, 68...65535, at: site.path + ".mtu")
        unicast(site.interface.mac, at: site.path + ".mac")
        // The kernel gives a passthru macvlan its parent's MAC, and a MAC set on it is set
        // on the parent: not something an interface of a container may do to a host NIC.
        if case .macvlan(let parent, .passthru) = site.interface.kind, site.interface.mac != nil {
            report(site.path + ".mac", "a passthru macvlan has its parent's MAC, and setting one would change \(parent)'s; leave mac out or use another mode")
        }
        if case .userspaceVF(_, _, let driver) = site.interface.kind {
            // Bound to a userspace driver, the VF has no netdev to address or configure.
            for (key, set) in [("addresses", !site.interface.addresses.isEmpty), ("mtu", site.interface.mtu != nil), ("mac", site.interface.mac != nil)] where set {
                report(site.path + ".\(key)", "a VF bound to \(driver.rawValue) has no netdev: \(key) is for the program that drives it (set the VF's MAC in nics[].sriov.vfs)")
            }
        }
        checkLowerKinds(site)
        guard let (ref, index) = site.interface.vfReference else { return }
        if let nic = m.nics.first(where: { $0.reference == ref }) {
            vfIndex(index, of: nic, at: site.path + ".vf.index")
        } else {
            range(index, 0...255, at: site.path + ".vf.index")
        }
    }

    mutating func checkContainerNumbers(_ c: Container, at path: String) {
        for (ri, r) in c.routes.enumerated() { range(r.metric, 0...Int(UInt32.max), at: "\(path).routes[\(ri)].metric") }
        for (pi, p) in c.ports.enumerated() {
            range(p.host, 1...65535, at: "\(path).ports[\(pi)].host")
            range(p.container, 1...65535, at: "\(path).ports[\(pi)].container")
        }
        // Port forwards are DNAT rules (IPv4 and IPv6) in plumb's nftables table: they need an
        // IPv4 or a global IPv6 target (a link-local address is no destination beyond its link).
        let hasTarget = c.interfaces.contains { $0.addresses.contains { !$0.address.isIPv6LinkLocal } }
        if !c.ports.isEmpty, !hasTarget {
            report(path + ".ports", "container \(c.name) has no IPv4 or global IPv6 address to forward ports to",
                   involving: [path + ".interfaces"])
        }
    }

    mutating func range(_ value: Int?, _ allowed: ClosedRange<Int>, at path: String) {
        guard let value, !allowed.contains(value) else { return }
        report(path, "\(value) is out of range \(allowed.lowerBound)-\(allowed.upperBound)")
    }

    mutating func positive(_ value: Int?, at path: String) {
        guard let value, value <= 0 else { return }
        report(path, "\(value) must be positive")
    }

    /// A multicast or all-zero MAC cannot be a station address; the kernel refuses both.
    mutating func unicast(_ mac: MACAddress?, at path: String) {
        guard let mac else { return }
        if mac.isZero { report(path, "\(mac) is the all-zero MAC") }
        else if mac.isMulticast { report(path, "\(mac) is a multicast MAC; use a unicast one like 02:00:00:00:00:01") }
    }
}
