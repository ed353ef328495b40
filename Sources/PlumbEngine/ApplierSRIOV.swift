import PlumbManifest
import PlumbNetlink
import PlumbSystem

extension Applier {
    /// sriov_numvfs, then (when VFs were created) a bounded wait until their netdevs
    /// exist and the PF has its carrier back (igb drops it briefly and refuses VF
    /// rates meanwhile). Undo writes the previous count.
    func setNumVFs(_ s: Step) throws -> Step {
        let sys = SRIOVSysfs()
        let pf = try sys.findPF(name: s.object)
        let n = Int(s["count"]!)!
        try sys.setNumVFs(pf, n)
        if n > 0 {
            _ = try sys.waitForVFNetdevs(pf: pf, count: n)
            if let link = try session.host.link(name: pf.name), link.up {
                _ = try? session.host.waitForCarrier(index: link.index, name: pf.name, timeout: .seconds(5))
            }
        }
        return Step(.setNumVFs, s.object, ["count": s["old"]!, "old": s["count"]!])
    }

    /// Writes the modprobe.d option; the undo puts the file's previous text back.
    func persistMaxVFs(_ s: Step) throws -> Step {
        let old = s["old"] ?? ""
        if s["restore"] == "true" {
            if old.isEmpty { try Files.remove(s.object) } else { try Files.writeAtomically(s.object, Array(old.utf8), mode: 0o644) }
        } else {
            _ = try ModprobeOption.igbMaxVFs(Int(s["count"]!)!).ensure(path: s.object)
        }
        let now = (try? ModprobeOption.read(path: s.object)) ?? ""
        return Step(.persistMaxVFs, s.object, ["restore": "true", "old": s["restore"] == "true" ? now : old])
    }

    /// PF-side VF settings (`ip link set PF vf N …`); undo sets the `old.*` values.
    func setVF(_ s: Step) throws -> Step {
        let pfName = s["pf"]!
        guard let link = try session.host.link(name: pfName) else {
            throw NetlinkError(operation: "RTM_GETLINK", object: "\(pfName) in the host namespace", errno: .noDevice)
        }
        var req = SetVF(pfIndex: link.index, pfName: pfName, vf: Int(s["vf"]!)!, driver: s["driver"])
        if let v = s["mac"] { req.mac = MACAddress(v) }
        if let v = s["vlan"] {
            let p = v.split(separator: "/").map(String.init)
            req.vlan = VFVLAN(id: Int(p[0]) ?? 0, qos: p.count > 1 ? Int(p[1]) ?? 0 : 0,
                              proto: p.count > 2 ? VFConfig.VLANProto(rawValue: p[2]) ?? .dot1q : .dot1q)
        }
        if let v = s["spoofCheck"], !v.isEmpty { req.spoofCheck = v == "true" }
        if let v = s["trust"], !v.isEmpty { req.trust = v == "true" }
        if let v = s["maxTxRate"] { req.maxTxRate = Int(v) }
        if let v = s["linkState"], !v.isEmpty { req.linkState = VFLinkState(rawValue: v) }
        try req.validate()
        try session.host.execute(req)
        return Step(.setVF, s.object, s.inverted)
    }

    /// Moves the VF's netdev into the container and renames it there in one request
    /// (`ip link set dev X netns NS name Y`); the undo moves it back under its old name.
    func moveVF(_ s: Step) throws -> Step {
        let ns = s["peerNamespace"]!
        guard let h = try session.handle(ns) else { throw SystemError("open", "netns \(ns)", .noEntry) }
        let hostName = try s["hostName"] ?? vfNetdev(pf: s["pf"]!, index: Int(s["vf"]!)!)
        let i = try index(of: hostName, in: hostNamespace)
        try session.host.execute(SetLink(index: i, name: s["name"]!, up: false, namespaceFD: h.namespace.fd))
        let undo = Step(.returnVF, s["name"]!, in: ns, ["hostName": hostName, "pf": s["pf"]!, "vf": s["vf"]!])
        if let mac = s["mac"].flatMap({ MACAddress($0) }) {
            do { try adoptAdminMAC(s["name"]!, mac, socket: h.socket) } catch { _ = try? returnVF(undo); throw error }
        }
        return undo
    }

    /// A VF netdev keeps its old MAC after its PF assigns one, and spoof checking then
    /// drops everything it sends. Ask for exactly the assigned MAC from the VF side
    /// (igb grants a VF the MAC its PF set; `ip link set dev eth1 address MAC`); if the
    /// driver refuses, fall back to igbvf's re-read on up, down, up. Then wait
    /// (bounded) until the netdev carries that MAC.
    func adoptAdminMAC(_ name: String, _ mac: MACAddress, socket: RouteSocket) throws {
        guard let l = try socket.link(name: name) else { return }
        if l.mac != mac {
            do { try socket.execute(SetLink(index: l.index, mac: mac)) } catch {
                try socket.execute(SetLink(index: l.index, up: true))
                try socket.execute(SetLink(index: l.index, up: false))
            }
        }
        try socket.execute(SetLink(index: l.index, up: true))
        let ok = try Poll.until(timeout: .seconds(10), interval: .milliseconds(50)) { () -> Bool? in
            try socket.link(index: l.index)?.mac == mac ? true : nil
        }
        guard ok != nil else {
            let now = try socket.link(index: l.index)?.mac?.description ?? "none"
            throw SystemError("adopt the PF-assigned MAC \(mac) on", "\(name) in \(socket.label) (it still has \(now))", .timedOut)
        }
    }

    /// Moves a VF netdev from a container back to the host namespace, renamed back.
    func returnVF(_ s: Step) throws -> Step? {
        let sock = try session.socket(s.namespace)
        guard let l = try sock.link(name: s.object) else {
            throw NetlinkError(operation: "RTM_GETLINK", object: "\(s.object) in \(sock.label)", errno: .noDevice)
        }
        // A VF enabled by the same apply that moved it had no name yet when the record
        // was written: let the kernel choose a free one as the driver did ("eth%d").
        let name = (s["hostName"] ?? "").isEmpty ? "eth%d" : s["hostName"]!
        try sock.execute(SetLink(index: l.index, name: name, up: false, namespaceFD: try session.hostNetns().fd))
        return nil
    }

    /// The VF's current netdev name, from sysfs (udev may have renamed it since).
    func vfNetdev(pf: String, index: Int) throws -> String {
        guard let name = try SRIOVSysfs().findPF(name: pf).vf(index)?.netdev else {
            throw SystemError("find", "the netdev of VF \(index) of \(pf) (/sys/class/net/\(pf)/device/virtfn\(index)/net)", .noDevice)
        }
        return name
    }
}
