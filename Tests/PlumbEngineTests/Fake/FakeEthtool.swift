import PlumbEngine
import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// The ethtool family of one namespace on the fake kernel. A NIC the fake has no
/// tuning for (a veth, a bridge) answers EOPNOTSUPP, as their drivers do; a value
/// beyond the driver's maximum is EINVAL.
final class FakeEthtool: EthtoolOps {
    let kernel: FakeKernel
    let id: Int
    init(kernel: FakeKernel, id: Int) { self.kernel = kernel; self.id = id }

    func refuse(_ op: String, _ nic: String, _ e: Errno) -> NetlinkError {
        NetlinkError(operation: "ETHTOOL_MSG_\(op)", object: nic, errno: e)
    }

    /// The NIC's tuning, when the netdev is here and reports it.
    func nic(_ name: String, _ op: String) throws -> FakeNIC {
        guard kernel.namespaces[id]?.link(named: name) != nil else { throw refuse(op, name, .noDevice) }
        guard id == FakeKernel.hostID, let n = kernel.nics[name] else { throw refuse(op, name, .notSupported) }
        return n
    }

    func change(_ name: String, _ op: String, fault: String, _ body: (inout FakeNIC) throws -> Void) throws {
        try kernel.enter(fault) { refuse(op, name, $0) }
        var n = try nic(name, op)
        try body(&n)
        kernel.nics[name] = n
    }

    func driverInfo(_ nic: String) throws -> Ethtool.DriverInfo {
        guard let l = kernel.namespaces[id]?.link(named: nic) else { throw refuse("DRVINFO_GET", nic, .noDevice) }
        if let vf = l.vf, let pf = kernel.pfs[vf.pf] { return Ethtool.DriverInfo(driver: "igbvf", busInfo: pf.vfPCI(vf.index)) }
        if id == FakeKernel.hostID, let n = kernel.nics[nic] { return Ethtool.DriverInfo(driver: n.driver, busInfo: n.busInfo) }
        if id == FakeKernel.hostID, let pf = kernel.pfs[nic] { return Ethtool.DriverInfo(driver: pf.driver ?? "", busInfo: pf.pciAddress) }
        return Ethtool.DriverInfo(driver: l.kind ?? "")
    }

    func rings(_ nic: String) throws -> Ethtool.Rings {
        guard let r = try self.nic(nic, "RINGS_GET").rings else { throw refuse("RINGS_GET", nic, .notSupported) }
        return r
    }

    func channels(_ nic: String) throws -> Ethtool.Channels {
        guard let c = try self.nic(nic, "CHANNELS_GET").channels else { throw refuse("CHANNELS_GET", nic, .notSupported) }
        return c
    }

    func coalesce(_ nic: String) throws -> Ethtool.Coalesce {
        guard let c = try self.nic(nic, "COALESCE_GET").coalesce else { throw refuse("COALESCE_GET", nic, .notSupported) }
        return c
    }

    func features(_ nic: String) throws -> Ethtool.Features {
        Ethtool.Features(byName: try self.nic(nic, "FEATURES_GET").features)
    }

    func setRings(_ nic: String, rx: Int?, tx: Int?) throws {
        try change(nic, "RINGS_SET", fault: "setRings") { n in
            guard var r = n.rings else { throw refuse("RINGS_SET", nic, .notSupported) }
            if let rx { guard (1...r.rxMax).contains(rx) else { throw refuse("RINGS_SET", nic, .invalid) }; r.rx = rx }
            if let tx { guard (1...r.txMax).contains(tx) else { throw refuse("RINGS_SET", nic, .invalid) }; r.tx = tx }
            n.rings = r
        }
    }

    func setChannels(_ nic: String, rx: Int?, tx: Int?, combined: Int?) throws {
        try change(nic, "CHANNELS_SET", fault: "setChannels") { n in
            guard var c = n.channels else { throw refuse("CHANNELS_SET", nic, .notSupported) }
            if let rx { guard rx <= c.rxMax else { throw refuse("CHANNELS_SET", nic, .invalid) }; c.rx = rx }
            if let tx { guard tx <= c.txMax else { throw refuse("CHANNELS_SET", nic, .invalid) }; c.tx = tx }
            if let combined { guard combined <= c.combinedMax else { throw refuse("CHANNELS_SET", nic, .invalid) }; c.combined = combined }
            guard c.combined + c.rx > 0, c.combined + c.tx > 0 else { throw refuse("CHANNELS_SET", nic, .invalid) }
            n.channels = c
        }
    }

    /// Like the kernel: a parameter the driver does not report refuses the whole message.
    func setCoalesce(_ nic: String, _ values: [Ethtool.CoalesceParam: Int]) throws {
        try change(nic, "COALESCE_SET", fault: "setCoalesce") { n in
            guard var c = n.coalesce else { throw refuse("COALESCE_SET", nic, .notSupported) }
            for (p, v) in values {
                guard c[p] != nil else { throw refuse("COALESCE_SET", nic, .notSupported) }
                c[p] = v
            }
            n.coalesce = c
        }
    }

    func rss(_ nic: String) throws -> Ethtool.RSS {
        guard let r = try self.nic(nic, "RSS_GET").rss else { throw refuse("RSS_GET", nic, .notSupported) }
        return r
    }

    /// Like the kernel: a table of another size, or a queue beyond the rx channels, is EINVAL.
    func setRSS(_ nic: String, indirection: [Int]?, key: [UInt8]?) throws {
        try change(nic, "RSS_SET", fault: "setRSS") { n in
            guard var r = n.rss else { throw refuse("RSS_SET", nic, .notSupported) }
            if let indirection {
                let queues = (n.channels?.combined ?? 0) + (n.channels?.rx ?? 0)
                guard indirection.count == r.indirection.count, indirection.allSatisfy({ $0 < queues }) else {
                    throw refuse("RSS_SET", nic, .invalid)
                }
                r.indirection = indirection
            }
            if let key { guard key.count == r.key.count, !key.isEmpty else { throw refuse("RSS_SET", nic, .notSupported) }; r.key = key }
            n.rss = r
        }
    }

    func hashFields(_ nic: String, _ flow: RxFlowType) throws -> RxHashFields {
        guard let f = try self.nic(nic, "GRXFH").hashFields[flow] else { throw refuse("GRXFH", nic, .notSupported) }
        return f
    }

    /// A flow type the fake does not report, or fields outside its `hashable` set, is EINVAL.
    func setHashFields(_ nic: String, _ flow: RxFlowType, _ fields: RxHashFields) throws {
        try change(nic, "SRXFH", fault: "setHashFields") { n in
            guard n.hashFields[flow] != nil, n.hashable[flow]?.contains(fields) ?? true else { throw refuse("SRXFH", nic, .invalid) }
            n.hashFields[flow] = fields
        }
    }

    /// A fixed or unknown feature does not change (ethtool reports it could not).
    func setFeatures(_ nic: String, _ values: [String: Bool]) throws {
        try change(nic, "FEATURES_SET", fault: "setFeatures") { n in
            for (name, on) in values {
                guard var f = n.features[name] else { throw refuse("FEATURES_SET", nic, .notSupported) }
                guard f.changeable else { throw refuse("FEATURES_SET", nic, .invalid) }
                f.active = on
                f.requested = on
                n.features[name] = f
            }
        }
    }
}
