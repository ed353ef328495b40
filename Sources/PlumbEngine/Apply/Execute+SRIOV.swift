import PlumbNetlink
import PlumbSystem
import PlumbTypes

extension Applier {
    /// `ip link set dev PF up|down`. Coming up, a bounded wait for the PF's carrier: igb
    /// refuses VF rates until it has it, and a VF in a container has no link before it.
    /// A PF without a cable never gets one; its VFs are made all the same.
    func setPFAdmin(_ c: PFAdminChange) throws {
        let host = try kernel.links(in: .host)
        guard let link = try host.link(name: c.pf) else {
            throw NetlinkError(operation: "RTM_GETLINK", object: "\(c.pf) in the host namespace", errno: .noDevice)
        }
        guard link.up != c.up.to else { return }
        try host.setLink(SetLink(index: link.index, up: c.up.to))
        if c.up.to { try? host.waitForCarrier(index: link.index, name: c.pf, timeout: .seconds(5)) }
    }

    /// sriov_numvfs, then (when VFs were created) a bounded wait until their netdevs
    /// exist and the PF has its carrier back (igb drops it briefly and refuses VF
    /// rates meanwhile).
    func setNumVFs(_ w: NumVFsWrite) throws {
        let pf = try kernel.sriov.findPF(.name(w.pf))
        if pf.numVFs == w.count.to { return }
        try kernel.sriov.setNumVFs(pf, w.count.to)
        guard w.count.to > 0 else { return }
        // A driver whose VFs are no devices (netdevsim) has no netdevs to wait for.
        if let facts = DriverFactTable.facts(pf.driver), facts.vfDriver == nil { return }
        try kernel.sriov.waitForVFNetdevs(pf, count: w.count.to)
        let host = try kernel.links(in: .host)
        if let link = try host.link(name: pf.name), link.up {
            try? host.waitForCarrier(index: link.index, name: pf.name, timeout: .seconds(5))
        }
    }

    /// PF-side VF settings (`ip link set PF vf N …`), one message per setting; a
    /// refusal after some took effect leaves the undo (journaled first) to put them back.
    func setVF(_ u: VFUpdate) throws {
        let host = try kernel.links(in: .host)
        guard let link = try host.link(name: u.pf) else {
            throw NetlinkError(operation: "RTM_GETLINK", object: "\(u.pf) in the host namespace", errno: .noDevice)
        }
        let s = u.settings
        // A new minimum goes out with a maximum (IFLA_VF_RATE carries both): the one the
        // update sets, else the VF's current one, as `ip link … min_tx_rate N` reads it first.
        let rate = try s.minTxRate.map { min in
            VFRate(min: min.to, max: try s.maxTxRate?.to
                   ?? host.vfSettings(pfIndex: link.index, pfName: u.pf).first { $0.index == u.vf }?.maxTxRate ?? 0)
        }
        let req = SetVF(pfIndex: link.index, pfName: u.pf, vf: u.vf, mac: s.mac?.to, vlan: s.vlan?.to, maxTxRate: s.maxTxRate?.to,
                        rate: rate, spoofCheck: s.spoofCheck?.to, linkState: s.linkState?.to, queryRSS: s.queryRSS?.to,
                        trust: s.trust?.to, driver: u.driver)
        try req.validate()
        try host.setVF(req)
    }

    /// Moves the VF's netdev into the container and renames it there in one request,
    /// takes over the PF-assigned MAC, then marks it and brings it up.
    func moveVF(_ m: VFMove) throws {
        let host = try kernel.links(in: .host)
        let hostName = try m.hostName ?? vfNetdev(pf: m.pf, index: m.vf)
        guard let vfLink = try host.link(name: hostName) else {
            throw NetlinkError(operation: "RTM_GETLINK", object: "\(hostName) (VF \(m.vf) of \(m.pf)) in the host namespace", errno: .noDevice)
        }
        try host.moveLink(index: vfLink.index, to: m.to.namespace, name: m.to.name)
        let inner = try kernel.links(in: m.to.namespace)
        guard let moved = try inner.link(name: m.to.name) else {
            throw NetlinkError(operation: "RTM_GETLINK", object: "\(m.to)", errno: .noDevice)
        }
        // Marked first: a rollback finds it by its mark even if the MAC never comes.
        try inner.setLink(SetLink(index: moved.index, mtu: m.mtu, alias: m.alias))
        if let mac = m.mac { try adoptAdminMAC(moved, mac, ops: inner) }
        try inner.setLink(SetLink(index: moved.index, up: true))
    }

    /// A VF netdev keeps its old MAC after its PF assigns one, and spoof checking then
    /// drops everything it sends. Ask for exactly the assigned MAC from the VF side
    /// (igb grants a VF the MAC its PF set; `ip link set dev eth1 address MAC`); if the
    /// driver refuses, fall back to igbvf's re-read on up, down, up. Then wait
    /// (bounded) until the netdev carries that MAC.
    func adoptAdminMAC(_ l: LinkInfo, _ mac: MACAddress, ops: any LinkOps) throws {
        if l.mac != mac {
            do { try ops.setLink(SetLink(index: l.index, mac: mac)) } catch {
                try ops.setLink(SetLink(index: l.index, up: true))
                try ops.setLink(SetLink(index: l.index, up: false))
            }
        }
        try ops.setLink(SetLink(index: l.index, up: true))
        let ok = try Poll.until(timeout: .seconds(10), interval: .milliseconds(50)) { () -> Bool? in
            try ops.link(index: l.index)?.mac == mac ? true : nil
        }
        guard ok != nil else {
            let now = try ops.link(index: l.index)?.mac?.description ?? "none"
            throw SystemError("adopt the PF-assigned MAC \(mac) on", "\(l.name) in \(ops.label) (it still has \(now))", .timedOut)
        }
    }

    /// Moves a VF netdev from a container back to the host namespace under its old
    /// name; one already gone from the container (its namespace died) has come home.
    func returnVF(_ r: VFReturn) throws {
        if r.from.namespace == .host { return try renameHome(r) }
        guard try kernel.identity(of: r.from.namespace) != nil, let (ops, link) = try returning(r) else { return }
        // A VF enabled by the same apply that moved it had no name yet when the record
        // was written: let the kernel choose a free one as the driver did ("eth%d").
        try ops.moveLink(index: link.index, to: .host, name: r.hostName ?? "eth%d")
        // Home (the move took that name, so the link there is the VF): its MTU and alias
        // as they were before it was moved.
        guard let restore = r.restore, let name = r.hostName, let host = try? kernel.links(in: .host),
              let home = try host.link(name: name) else { return }
        try host.setLink(SetLink(index: home.index, mtu: restore.mtu, alias: restore.alias))
    }

    /// The VF's netdev in the container: carrying the mark, or — a move whose marking the
    /// kernel refused, being undone — proven to be that VF by its PCI address.
    func returning(_ r: VFReturn) throws -> (ops: any LinkOps, link: LinkInfo)? {
        do { return try resolve(r.from, .owner(alias: r.alias, mac: nil)) } catch let refusal as OwnershipError {
            let ops = try kernel.links(in: r.from.namespace)
            guard let link = try ops.link(name: r.from.name), r.from.index.map({ $0 == link.index }) ?? true,
                  let pci = try kernel.sriov.findPF(.name(r.pf)).vf(r.vf)?.pciAddress,
                  (try? kernel.ethtool(in: r.from.namespace).driverInfo(link.name).busInfo) == pci else { throw refusal }
            return (ops, link)
        }
    }

    /// The VF's current netdev name, from sysfs (udev may have renamed it since).
    func vfNetdev(pf: String, index: Int) throws -> String {
        guard let name = try kernel.sriov.findPF(.name(pf)).vf(index)?.netdev else {
            throw SystemError("find", "the netdev of VF \(index) of \(pf) (/sys/class/net/\(pf)/device/virtfn\(index)/net)", .noDevice)
        }
        return name
    }

    /// A VF the kernel already brought home when its namespace died: only while it still
    /// carries the mark, renamed back (a rename needs it down; the kernel's move left it
    /// down) with its MTU and alias from before the move.
    func renameHome(_ r: VFReturn) throws {
        guard let (ops, link) = try resolve(r.from, .owner(alias: r.alias, mac: nil)) else { return }   // gone since the plan
        let name = r.hostName.flatMap { $0 == link.name ? nil : $0 }
        if name != nil, link.up { try ops.setLink(SetLink(index: link.index, up: false)) }
        try ops.setLink(SetLink(index: link.index, name: name, mtu: r.restore?.mtu, alias: r.restore?.alias))
    }
}

extension Applier {
    /// Binds the VF's PCI device to `b.driver.to` (sysfs `driver_override`, unbind, probe): a
    /// userspace driver keeps its override (nothing rebinds the VF behind Plumb); a driver given
    /// back has it cleared. A VF already bound there has reached the goal.
    func bindVF(_ b: VFBind) throws {
        let pf = try kernel.sriov.findPF(.name(b.pf))
        guard let vf = pf.vf(b.vf) else {
            throw SystemError("find", "VF \(b.vf) of \(b.pf) (/sys/class/net/\(b.pf)/device/virtfn\(b.vf))", .noDevice)
        }
        if let pci = b.pciAddress, pci != vf.pciAddress {
            throw SystemError("bind", "VF \(b.vf) of \(b.pf): it is \(vf.pciAddress) now, not \(pci)", .noDevice)
        }
        guard vf.driver != b.driver.to || (b.toUserspace && vf.driverOverride != b.driver.to) else { return }
        try kernel.sriov.bindVF(pci: vf.pciAddress, to: b.driver.to, keep: b.toUserspace)
    }
}
