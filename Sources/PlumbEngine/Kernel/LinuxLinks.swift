import PlumbNetlink
import PlumbTypes

/// `LinkOps` over one libnl route socket.
final class LinuxLinks: LinkOps {
    let socket: RouteSocket
    unowned let kernel: LinuxKernel

    init(socket: RouteSocket, kernel: LinuxKernel) { self.socket = socket; self.kernel = kernel }

    var label: String { socket.label }
    func links() throws -> [LinkInfo] { try socket.links() }
    func link(index: Int) throws -> LinkInfo? { try socket.link(index: index) }
    func link(name: String) throws -> LinkInfo? { try socket.link(name: name) }
    func addresses() throws -> [AddressInfo] { try socket.addresses() }
    func routes() throws -> [RouteInfo] { try socket.routes() }
    func rules() throws -> [RuleInfo] { try socket.rules() }
    func addRule(_ r: RuleInfo) throws { try socket.addRule(r) }
    func deleteRule(_ r: RuleInfo) throws { try socket.deleteRule(r) }
    func neighbours() throws -> [NeighbourInfo] { try socket.neighbours() }
    func addNeighbour(_ address: IPAddress, mac: MACAddress, index: Int, name: String) throws {
        try socket.addNeighbour(address, mac: mac, index: index, name: name)
    }
    func deleteNeighbour(_ address: IPAddress, index: Int, name: String) throws {
        try socket.deleteNeighbour(address, index: index, name: name)
    }
    func createBridge(_ r: CreateBridge) throws { try socket.execute(r) }

    func createVeth(_ r: VethRequest) throws {
        try socket.execute(CreateVeth(hostName: r.hostName, peerName: r.peerName,
                                      peerNamespaceFD: try kernel.namespaceFD(r.peerNamespace),
                                      masterIndex: r.masterIndex, mtu: r.mtu, hostUp: false, hostMAC: r.hostMAC,
                                      peerMAC: r.peerMAC))
    }

    func createMacvlan(_ r: MacvlanRequest) throws {
        try socket.execute(CreateMacvlan(name: r.name, parentIndex: r.parentIndex, mode: r.mode,
                                         namespaceFD: try kernel.namespaceFD(r.namespace), mac: r.mac, mtu: r.mtu))
    }

    func createIpvlan(_ r: IpvlanRequest) throws {
        try socket.execute(CreateIpvlan(name: r.name, parentIndex: r.parentIndex, mode: r.mode, flag: r.flag,
                                        namespaceFD: try kernel.namespaceFD(r.namespace), mtu: r.mtu))
    }

    func createVlan(_ r: VlanRequest) throws {
        try socket.execute(CreateVlan(name: r.name, parentIndex: r.parentIndex, id: r.id, proto: r.proto,
                                      namespaceFD: try r.namespace.map { try kernel.namespaceFD($0) }, mac: r.mac, mtu: r.mtu))
    }

    func setLink(_ r: SetLink) throws {
        var r = r
        r.namespaceFD = nil
        try socket.execute(r)
    }

    func moveLink(index: Int, to ns: NamespaceRef, name: String) throws {
        try socket.execute(SetLink(index: index, name: name, up: false, namespaceFD: try kernel.namespaceFD(ns)))
    }

    func deleteLink(index: Int, name: String) throws { try socket.deleteLink(index: index, name: name) }
    func addAddress(_ p: IPPrefix, index: Int, name: String) throws { try socket.addAddress(p, index: index, name: name) }
    func deleteAddress(_ p: IPPrefix, index: Int, name: String) throws { try socket.deleteAddress(p, index: index, name: name) }
    func addRoute(_ r: RouteInfo, deviceName: String) throws { try socket.addRoute(r, deviceName: deviceName) }
    func deleteRoute(_ r: RouteInfo, deviceName: String) throws { try socket.deleteRoute(r, deviceName: deviceName) }
    func vfSettings(pfIndex: Int, pfName: String) throws -> [VFSettings] {
        try socket.vfSettings(pfIndex: pfIndex, pfName: pfName)
    }
    func vfStats(pfIndex: Int, pfName: String) throws -> [VFStats] {
        try socket.vfStats(pfIndex: pfIndex, pfName: pfName)
    }
    func setVF(_ r: SetVF) throws { try socket.execute(r) }
    func waitForCarrier(index: Int, name: String, timeout: Duration) throws {
        try socket.waitForCarrier(index: index, name: name, timeout: timeout)
    }
}
