import PlumbEngine
import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// One namespace's rtnetlink on the fake kernel. Each change refuses what the kernel
/// refuses (EEXIST for a name or address present, ENODEV for a missing link,
/// ENETUNREACH for a gateway no address of the link reaches, …) before changing anything.
final class FakeLinks: LinkOps {
    let kernel: FakeKernel
    let id: Int
    let label: String

    init(kernel: FakeKernel, id: Int, label: String) { self.kernel = kernel; self.id = id; self.label = label }

    func ns(_ op: String) throws -> FakeNamespace {
        guard let ns = kernel.namespaces[id] else { throw NetlinkError(operation: op, object: label, errno: .noEntry) }
        return ns
    }

    func refuse(_ op: String, _ object: String, _ e: Errno) -> NetlinkError {
        NetlinkError(operation: op, object: "\(object) in \(label)", errno: e)
    }

    /// Logs the change, fails it when a fault is armed.
    func enter(_ name: String, _ op: String, _ object: String) throws {
        try kernel.enter(name) { refuse(op, object, $0) }
    }

    func existing(_ index: Int, _ op: String, _ object: String) throws -> FakeLink {
        guard let l = try ns(op).links[index] else { throw refuse(op, object, .noDevice) }
        return l
    }

    func checkName(_ name: String, _ op: String) throws {
        if InterfaceNames.problem(name) != nil { throw refuse(op, name, .invalid) }
        if try ns(op).link(named: name) != nil { throw refuse(op, name, .exists) }
    }

    // MARK: Reading

    func links() throws -> [LinkInfo] {
        kernel.linkDumps[id, default: 0] += 1
        return try ns("RTM_GETLINK").links.values.sorted { $0.index < $1.index }.map { kernel.info($0, in: id) }
    }

    func link(index: Int) throws -> LinkInfo? { try ns("RTM_GETLINK").links[index].map { kernel.info($0, in: id) } }
    func link(name: String) throws -> LinkInfo? { try ns("RTM_GETLINK").link(named: name).map { kernel.info($0, in: id) } }
    func addresses() throws -> [AddressInfo] { try ns("RTM_GETADDR").addresses }

    func routes() throws -> [RouteInfo] {
        let ns = try ns("RTM_GETROUTE")
        return kernel.mainTable(ns)
    }

    func neighbours() throws -> [NeighbourInfo] { try ns("RTM_GETNEIGH").neighbours }

    func addNeighbour(_ address: IPAddress, mac: MACAddress, index: Int, name: String) throws {
        try enter("addNeighbour", "RTM_NEWNEIGH", "\(address) dev \(name)")
        let ns = try ns("RTM_NEWNEIGH")
        guard ns.links[index] != nil else { throw refuse("RTM_NEWNEIGH", "\(address) dev \(name)", .noDevice) }
        if ns.neighbours.contains(where: { $0.address == address && $0.index == index }) {
            throw refuse("RTM_NEWNEIGH", "\(address) dev \(name)", .exists)
        }
        ns.neighbours.append(NeighbourInfo(index: index, address: address, state: NeighbourInfo.reachable, mac: mac))
    }

    func deleteNeighbour(_ address: IPAddress, index: Int, name: String) throws {
        try enter("deleteNeighbour", "RTM_DELNEIGH", "\(address) dev \(name)")
        let ns = try ns("RTM_DELNEIGH")
        guard let i = ns.neighbours.firstIndex(where: { $0.address == address && $0.index == index }) else {
            throw refuse("RTM_DELNEIGH", "\(address) dev \(name)", .noEntry)
        }
        ns.neighbours.remove(at: i)
    }

    // MARK: Links

    func createBridge(_ r: CreateBridge) throws {
        try enter("createBridge", "RTM_NEWLINK", "bridge \(r.name)")
        try checkName(r.name, "RTM_NEWLINK")
        let ns = try ns("RTM_NEWLINK")
        let index = ns.allocateIndex()
        ns.links[index] = FakeLink(index: index, name: r.name, kind: "bridge", mtu: r.mtu ?? 1500, mtuSetByUser: r.mtu != nil,
                                   mac: r.mac ?? kernel.randomMAC())
    }

    /// The peer is born in its namespace, the host end enslaved and carrying its MAC; both down.
    func createVeth(_ r: VethRequest) throws {
        let object = "veth \(r.hostName) peer \(r.peerName)"
        try enter("createVeth", "RTM_NEWLINK", object)
        let here = try ns("RTM_NEWLINK")
        let there = try kernel.namespace(r.peerNamespace)
        try checkName(r.hostName, "RTM_NEWLINK")
        if InterfaceNames.problem(r.peerName) != nil { throw refuse("RTM_NEWLINK", r.peerName, .invalid) }
        if there.link(named: r.peerName) != nil || (there === here && r.peerName == r.hostName) {
            throw refuse("RTM_NEWLINK", r.peerName, .exists)
        }
        guard here.links[r.masterIndex]?.kind == "bridge" else { throw refuse("RTM_NEWLINK", object, .noDevice) }
        let hostIndex = here.allocateIndex()
        here.links[hostIndex] = FakeLink(index: hostIndex, name: r.hostName, kind: "veth", master: r.masterIndex,
                                         mtu: r.mtu ?? 1500, mac: r.hostMAC)
        let peerIndex = there.allocateIndex()
        there.links[peerIndex] = FakeLink(index: peerIndex, name: r.peerName, kind: "veth", mtu: r.mtu ?? 1500,
                                          mac: r.peerMAC, peer: FakeLinkID(ns: id, index: hostIndex))
        here.links[hostIndex]!.peer = FakeLinkID(ns: there.id, index: peerIndex)
        here.adjustBridgeMTUs()
    }

    /// Born in its namespace on a parent of this one, carrying its MAC, down. Like the
    /// kernel: ENODEV for a missing parent, EINVAL for an MTU above the parent's, EEXIST
    /// for a taken name, EBUSY for a second macvlan where a passthru one is (or a passthru
    /// one where any is).
    func createMacvlan(_ r: MacvlanRequest) throws {
        let object = "macvlan \(r.name) on ifindex \(r.parentIndex) mode \(r.mode.rawValue)"
        try enter("createMacvlan", "RTM_NEWLINK", object)
        let here = try ns("RTM_NEWLINK")
        let there = try kernel.namespace(r.namespace)
        guard let parent = here.links[r.parentIndex] else { throw refuse("RTM_NEWLINK", object, .noDevice) }
        if InterfaceNames.problem(r.name) != nil { throw refuse("RTM_NEWLINK", r.name, .invalid) }
        // rtnl_newlink looks the name up in the sending namespace first: EEXIST there too.
        if there.link(named: r.name) != nil || here.link(named: r.name) != nil { throw refuse("RTM_NEWLINK", r.name, .exists) }
        if let m = r.mtu, m > parent.mtu { throw refuse("RTM_NEWLINK", object, .invalid) }
        let lower = FakeLinkID(ns: id, index: r.parentIndex)
        let siblings = kernel.namespaces.values.flatMap { $0.links.values.filter { $0.lower == lower } }
        // One rx_handler per device: a bridge port's, or the ipvlans' port.
        if parent.master != nil || siblings.contains(where: { $0.kind == "ipvlan" }) { throw refuse("RTM_NEWLINK", object, .busy) }
        if !siblings.isEmpty && (r.mode == .passthru || siblings.contains { $0.macvlanMode == .passthru }) {
            throw refuse("RTM_NEWLINK", object, .busy)
        }
        let index = there.allocateIndex()
        // passthru: the parent's MAC, whatever was asked (eth_hw_addr_inherit).
        let mac = r.mode == .passthru ? parent.mac : (r.mac ?? kernel.randomMAC())
        there.links[index] = FakeLink(index: index, name: r.name, kind: "macvlan", mtu: r.mtu ?? parent.mtu, mac: mac,
                                      lower: lower, macvlanMode: r.mode)
    }

    /// Born in its namespace on a parent of this one, with the parent's MAC, down. Like the
    /// kernel: ENODEV for a missing parent, EINVAL for an MTU above the parent's, EEXIST for
    /// a taken name, EBUSY on a bridge port or a macvlan parent; the mode and flag are the
    /// parent's port's, so every ipvlan already there switches to the new one's.
    func createIpvlan(_ r: IpvlanRequest) throws {
        let object = "ipvlan \(r.name) on ifindex \(r.parentIndex) mode \(r.mode.rawValue)"
        try enter("createIpvlan", "RTM_NEWLINK", object)
        let here = try ns("RTM_NEWLINK")
        let there = try kernel.namespace(r.namespace)
        guard let parent = here.links[r.parentIndex] else { throw refuse("RTM_NEWLINK", object, .noDevice) }
        if InterfaceNames.problem(r.name) != nil { throw refuse("RTM_NEWLINK", r.name, .invalid) }
        // rtnl_newlink looks the name up in the sending namespace first: EEXIST there too.
        if there.link(named: r.name) != nil || here.link(named: r.name) != nil { throw refuse("RTM_NEWLINK", r.name, .exists) }
        if let m = r.mtu, m > parent.mtu { throw refuse("RTM_NEWLINK", object, .invalid) }
        let lower = FakeLinkID(ns: id, index: r.parentIndex)
        let siblings = kernel.namespaces.values.flatMap { ns in ns.links.values.filter { $0.lower == lower }.map { (ns, $0) } }
        if parent.master != nil || siblings.contains(where: { $0.1.kind == "macvlan" }) { throw refuse("RTM_NEWLINK", object, .busy) }
        for (ns, l) in siblings where l.kind == "ipvlan" { ns.links[l.index]!.ipvlanMode = r.mode; ns.links[l.index]!.ipvlanFlag = r.flag }
        let index = there.allocateIndex()
        there.links[index] = FakeLink(index: index, name: r.name, kind: "ipvlan", mtu: r.mtu ?? parent.mtu, mac: parent.mac,
                                      lower: lower, ipvlanMode: r.mode, ipvlanFlag: r.flag)
    }

    /// Born in `namespace` (or here) on a parent of this namespace, with the asked MAC or the
    /// parent's, down. Like the kernel: ENODEV for a missing parent, ERANGE for an id above
    /// 4094, EINVAL for an MTU above the parent's, EEXIST for a taken name or a parent that
    /// already has this protocol and id.
    func createVlan(_ r: VlanRequest) throws {
        let object = "vlan \(r.name) id \(r.id) protocol \(r.proto.rawValue) on ifindex \(r.parentIndex)"
        try enter("createVlan", "RTM_NEWLINK", object)
        let here = try ns("RTM_NEWLINK")
        let there = try r.namespace.map { try kernel.namespace($0) } ?? here
        guard let parent = here.links[r.parentIndex] else { throw refuse("RTM_NEWLINK", object, .noDevice) }
        if !(0...4094).contains(r.id) { throw refuse("RTM_NEWLINK", object, .range) }
        if InterfaceNames.problem(r.name) != nil { throw refuse("RTM_NEWLINK", r.name, .invalid) }
        // rtnl_newlink looks the name up in the sending namespace first: EEXIST there too.
        if there.link(named: r.name) != nil || here.link(named: r.name) != nil { throw refuse("RTM_NEWLINK", r.name, .exists) }
        if let m = r.mtu, m > parent.mtu { throw refuse("RTM_NEWLINK", object, .invalid) }
        let lower = FakeLinkID(ns: id, index: r.parentIndex)
        let taken = kernel.namespaces.values.contains { ns in
            ns.links.values.contains { $0.lower == lower && $0.kind == "vlan" && $0.vlanID == r.id && $0.vlanProtocol == r.proto }
        }
        if taken { throw refuse("RTM_NEWLINK", object, .exists) }
        let index = there.allocateIndex()
        there.links[index] = FakeLink(index: index, name: r.name, kind: "vlan", mtu: r.mtu ?? parent.mtu, mac: r.mac ?? parent.mac,
                                      lower: lower, vlanID: r.id, vlanProtocol: r.proto)
    }

    func setLink(_ r: SetLink) throws {
        let object = "ifindex \(r.index)" + (r.name.map { " (\($0))" } ?? "")
        try enter("setLink", "RTM_NEWLINK", object)
        let ns = try ns("RTM_NEWLINK")
        var l = try existing(r.index, "RTM_NEWLINK", object)
        if let n = r.name, n != l.name { try checkName(n, "RTM_NEWLINK"); l.name = n }
        if let m = r.mtu {
            guard (68...65535).contains(m) else { throw refuse("RTM_NEWLINK", object, .invalid) }
            l.mtu = m
            if l.kind == "bridge" { l.mtuSetByUser = true }
        }
        if let m = r.mac {
            guard !m.isMulticast, !m.isZero else { throw refuse("RTM_NEWLINK", object, .addressNotAvailable) }
            l.mac = m
        }
        if let a = r.alias { l.alias = a.isEmpty ? nil : a }
        if let m = r.masterIndex {
            if m == 0 { l.master = nil } else {
                guard m != r.index, ns.links[m]?.kind == "bridge" else { throw refuse("RTM_NEWLINK", object, .invalid) }
                l.master = m
            }
        }
        if r.noIPv6Addresses { l.noIPv6Addresses = true }
        if let q = r.txqlen { l.txqlen = q }
        ns.links[r.index] = l
        ns.adjustBridgeMTUs()
        if let want = r.up { kernel.setUp(FakeLinkID(ns: id, index: r.index), want) }
    }

    func moveLink(index: Int, to target: NamespaceRef, name: String) throws {
        let object = "ifindex \(index) → \(target) as \(name)"
        try enter("moveLink", "RTM_NEWLINK", object)
        _ = try existing(index, "RTM_NEWLINK", object)
        let there = try kernel.namespace(target)
        if !name.contains("%d"), let other = there.link(named: name), !(there.id == id && other.index == index) {
            throw refuse("RTM_NEWLINK", object, .exists)
        }
        kernel.move(FakeLinkID(ns: id, index: index), to: there, name: name)
    }

    /// A device (lo, a NIC, a VF's netdev) cannot be deleted.
    func deleteLink(index: Int, name: String) throws {
        try enter("deleteLink", "RTM_DELLINK", name)
        let l = try existing(index, "RTM_DELLINK", name)
        guard l.kind != nil else { throw refuse("RTM_DELLINK", name, .notSupported) }
        kernel.removeLink(FakeLinkID(ns: id, index: index))
    }

    // MARK: VFs and carrier

    func vfSettings(pfIndex: Int, pfName: String) throws -> [VFSettings] {
        let l = try existing(pfIndex, "RTM_GETLINK", pfName)
        guard let pf = kernel.pfs[l.name], id == FakeKernel.hostID, pf.numVFs > 0 else { return [] }
        return pf.settings
    }

    func vfStats(pfIndex: Int, pfName: String) throws -> [VFStats] {
        let l = try existing(pfIndex, "RTM_GETLINK", pfName)
        guard let pf = kernel.pfs[l.name], id == FakeKernel.hostID, pf.numVFs > 0 else { return [] }
        return pf.stats
    }

    func setVF(_ r: SetVF) throws { try kernel.setVF(r, ns: id) }

    func waitForCarrier(index: Int, name: String, timeout: Duration) throws {
        guard kernel.carrier(FakeLinkID(ns: id, index: index)) else {
            throw SystemError("wait for carrier on", "\(name) in \(label)", .timedOut)
        }
    }
}
