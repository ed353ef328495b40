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
        range(t.coalesce?.rxUsecs, 0...Int(UInt32.max), at: path + ".coalesce.rxUsecs")
        range(t.coalesce?.rxFrames, 0...Int(UInt32.max), at: path + ".coalesce.rxFrames")
        range(t.txqueuelen, 1...Int(UInt32.max), at: path + ".txqueuelen")
        checkSteering(t.rps, at: path + ".rps")
        checkSteering(t.xps, at: path + ".xps")
        guard case .lists(let lists) = t.irqAffinity else { return }
        for (i, list) in lists.enumerated() where CPUList.parse(list) == nil {
            report("\(path).irqAffinity[\(i)]", "\"\(list)\" is not a CPU list like \"0\" or \"1-3,5\"")
        }
    }

    /// CPU list syntax and flow table sizes; the queue count is the device's (plan time).
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
        checkLowerKinds(site)
        guard case .vf(let ref, let index) = site.interface.kind else { return }
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
        // Port forwards are IPv4 DNAT rules in plumb's nftables table: they need a v4 target.
        let hasIPv4 = c.interfaces.contains { $0.addresses.contains { $0.family == .v4 } }
        if !c.ports.isEmpty, !hasIPv4 {
            report(path + ".ports", "container \(c.name) has no IPv4 address to forward ports to",
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
