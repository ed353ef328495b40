import PlumbTypes
/// SR-IOV as sysfs shows it (the README's SR-IOV section): a physical function (PF) is a PCI
/// network device with `device/sriov_totalvfs`; its virtual functions (VFs) are the
/// `device/virtfnN` links, each a PCI device with its own netdev under `net/`.
///
/// ```
/// /sys/class/net/eth1 -> ../../devices/pci0000:00/0000:00:02.0/0000:01:00.0/net/eth1
/// /sys/class/net/eth1/device/driver -> ../../../../bus/pci/drivers/igb
/// /sys/class/net/eth1/device/sriov_totalvfs   7
/// /sys/class/net/eth1/device/sriov_numvfs     2
/// /sys/class/net/eth1/device/virtfn0 -> ../0000:01:10.0      (net/eth2)
/// ```

/// One VF of a PF, as sysfs shows it from the PF's side.
public struct VirtualFunction: Sendable, Equatable, Hashable, Codable {
    /// N of `device/virtfnN`: the index `ip link set PF vf N` uses.
    public var index: Int
    /// The VF's own PCI address ("0000:01:10.0"), the `deviceID` the SR-IOV device plugin hands CNI.
    public var pciAddress: String
    /// Its netdev names in the namespace that mounted /sys: empty when the VF has been
    /// moved into another namespace or has no driver bound. udev may rename a netdev
    /// just after it appears, so resolve by index again before using a name.
    public var netdevs: [String]
    /// The VF driver ("igbvf", "vfio-pci"), nil when none is bound.
    public var driver: String?
    /// N of `iommu_group` (→ kernel/iommu_groups/N, /dev/vfio/N once bound to vfio-pci); nil
    /// without an IOMMU.
    public var iommuGroup: Int?
    /// `driver_override`: the only driver the device may bind to; nil when unset ("(null)").
    public var driverOverride: String?

    public init(index: Int, pciAddress: String, netdevs: [String] = [], driver: String? = nil,
                iommuGroup: Int? = nil, driverOverride: String? = nil) {
        self.index = index; self.pciAddress = pciAddress; self.netdevs = netdevs; self.driver = driver
        self.iommuGroup = iommuGroup; self.driverOverride = driverOverride
    }

    /// The first netdev name, nil when there is none here.
    public var netdev: String? { netdevs.first }
}

/// A PCI network device (usually an SR-IOV PF) and its VFs.
public struct PhysicalFunction: Sendable, Equatable, Codable {
    /// Its netdev name ("eth1").
    public var name: String
    /// The last component of the `class/net/NAME/device` link: the PCI address
    /// ("0000:01:00.0"); for a device on another bus, that bus's id ("virtio0").
    public var pciAddress: String
    /// The basename of `device/driver` ("igb"), nil when no driver is bound.
    public var driver: String?
    /// `class/net/NAME/address`, lower case as the kernel writes it.
    public var mac: String
    /// `device/sriov_totalvfs` and `device/sriov_numvfs`: nil when the device has no SR-IOV.
    public var totalVFs: Int?
    public var numVFs: Int?
    /// The `device/virtfnN` links, by index.
    public var vfs: [VirtualFunction]
    /// `device/sriov_drivers_autoprobe`: whether new VFs get their driver bound at once
    /// (nil when the device has no such file).
    public var driversAutoprobe: Bool?

    public init(name: String, pciAddress: String, driver: String?, mac: String,
                totalVFs: Int?, numVFs: Int?, vfs: [VirtualFunction] = [], driversAutoprobe: Bool? = nil) {
        self.name = name; self.pciAddress = pciAddress; self.driver = driver; self.mac = mac
        self.totalVFs = totalVFs; self.numVFs = numVFs; self.vfs = vfs; self.driversAutoprobe = driversAutoprobe
    }

    public var hasSRIOV: Bool { totalVFs != nil }

    public func vf(_ index: Int) -> VirtualFunction? { vfs.first { $0.index == index } }

    /// "eth1 (0000:01:00.0, driver igb)", for messages.
    public var label: String { "\(name) (\(pciAddress), driver \(driver ?? "none"))" }
}

/// Sysfs discovery of PFs and VFs under an injectable root, so unit tests run
/// against a fixture tree shaped like /sys (links, attributes and all).
/// Read and write it from the initial network namespace: /sys shows the netdevs of
/// the namespace that mounted it.
public struct SRIOVSysfs: Sendable {
    public var root: String

    public init(sysfsRoot: String = "/sys") { root = sysfsRoot }

    /// The PF whose netdev is `name`.
    /// Equivalent to: `ls -l /sys/class/net/NAME/device/`.
    public func findPF(name: String) throws -> PhysicalFunction {
        try requireSRIOV(try device(name: name))
    }

    /// The PF at PCI address `pci` ("0000:01:00.0"), through its netdev
    /// `bus/pci/devices/PCI/net/*` (the first, for a device with several ports).
    /// Equivalent to: `ls /sys/bus/pci/devices/PCI/net/`.
    public func findPF(pci: String) throws -> PhysicalFunction {
        let address = try Self.normalizedPCI(pci)
        let dir = "\(root)/bus/pci/devices/\(address)"
        guard Files.exists(dir) else { throw SRIOVError.noPCIDevice(address) }
        if Files.exists("\(dir)/physfn") {
            throw SRIOVError.isVirtualFunction(name: address, physfn: try linkBasename("\(dir)/physfn"))
        }
        guard let name = try optionalEntries("\(dir)/net").first else {
            throw SRIOVError.pciHasNoInterface(pci: address, driver: try? linkBasename("\(dir)/driver"))
        }
        return try findPF(name: name)
    }

    /// The PF whose netdev has MAC `mac`. VFs (they have `device/physfn`) and
    /// interfaces without a device (bridges, VLANs, bonds copy their port's MAC) are
    /// skipped. Equivalent to: `grep -l MAC /sys/class/net/*/address`.
    public func findPF(mac: String) throws -> PhysicalFunction {
        let wanted = try Self.normalizedMAC(mac)
        var matches: [String] = []
        for name in try Directory.entries("\(root)/class/net") {
            let net = "\(root)/class/net/\(name)"
            guard Files.exists("\(net)/device"), !Files.exists("\(net)/device/physfn") else { continue }
            if (try? Files.read("\(net)/address"))?.trimmingSpace().lowercased() == wanted { matches.append(name) }
        }
        guard matches.count < 2 else { throw SRIOVError.ambiguousMAC(wanted, matches) }
        guard let name = matches.first else { throw SRIOVError.noMAC(wanted) }
        return try findPF(name: name)
    }

    /// Any device-backed netdev, SR-IOV or not (`totalVFs` nil when not): for reports.
    public func device(name: String) throws -> PhysicalFunction {
        try Self.checkName(name)
        let net = "\(root)/class/net/\(name)"
        guard Files.exists(net) else { throw SRIOVError.noInterface(name) }
        let dev = "\(net)/device"
        guard Files.exists(dev) else { throw SRIOVError.noDevice(name) }
        let address = try linkBasename(dev), driver = try? linkBasename("\(dev)/driver")
        return PhysicalFunction(
            name: name, pciAddress: address, driver: driver,
            mac: try Files.read("\(net)/address").trimmingSpace().lowercased(),
            totalVFs: try optionalInt("\(dev)/sriov_totalvfs") ?? simulatedTotalVFs(dev, device: address, driver: driver),
            numVFs: try optionalInt("\(dev)/sriov_numvfs"),
            vfs: try virtualFunctions(deviceDirectory: dev),
            driversAutoprobe: try optionalInt("\(dev)/sriov_drivers_autoprobe").map { $0 != 0 })
    }

    /// `pf` read again (numVFs and VFs change after a write to sriov_numvfs).
    public func reload(_ pf: PhysicalFunction) throws -> PhysicalFunction {
        try findPF(name: pf.name)
    }

    /// The VF at PCI address `pci` and its PF: how CNI's `deviceID` is resolved.
    /// Equivalent to: `readlink /sys/bus/pci/devices/PCI/physfn`, then the PF's `virtfn*` links.
    public func findVF(pci: String) throws -> (pf: PhysicalFunction, vf: VirtualFunction) {
        let address = try Self.normalizedPCI(pci)
        let dir = "\(root)/bus/pci/devices/\(address)"
        guard Files.exists(dir) else { throw SRIOVError.noPCIDevice(address) }
        guard Files.exists("\(dir)/physfn") else { throw SRIOVError.notVirtualFunction(address) }
        let pf = try findPF(pci: try linkBasename("\(dir)/physfn"))
        guard let vf = pf.vfs.first(where: { $0.pciAddress == address }) else {
            throw SRIOVError.notVirtualFunction(address)
        }
        return (pf, vf)
    }

    // MARK: Helpers

    /// netdevsim has `sriov_numvfs` but no `sriov_totalvfs`: its limit is the debugfs
    /// attribute `netdevsim/DEV/max_vfs` (4 unless raised). Read only for that driver and
    /// only when debugfs is mounted; nil otherwise (then the PF reads as having no SR-IOV).
    /// Equivalent to: `cat /sys/kernel/debug/netdevsim/netdevsim3/max_vfs`.
    func simulatedTotalVFs(_ dev: String, device: String, driver: String?) throws -> Int? {
        guard driver == "netdevsim", Files.exists("\(dev)/sriov_numvfs"),
              !device.contains("/"), !device.hasPrefix(".") else { return nil }
        return try optionalInt("\(root)/kernel/debug/netdevsim/\(device)/max_vfs")
    }

    func requireSRIOV(_ d: PhysicalFunction) throws -> PhysicalFunction {
        if d.hasSRIOV { return d }
        let physfn = "\(root)/class/net/\(d.name)/device/physfn"
        if Files.exists(physfn) { throw SRIOVError.isVirtualFunction(name: d.name, physfn: try linkBasename(physfn)) }
        throw SRIOVError.noSRIOV(name: d.name, driver: d.driver)
    }

    func virtualFunctions(deviceDirectory dev: String) throws -> [VirtualFunction] {
        let indexes = try Directory.entries(dev).compactMap { e -> Int? in
            e.hasPrefix("virtfn") ? Int(e.dropFirst(6)) : nil
        }
        return try indexes.sorted().map { i in
            let link = "\(dev)/virtfn\(i)"
            return VirtualFunction(index: i, pciAddress: try linkBasename(link),
                                   netdevs: try optionalEntries("\(link)/net"),
                                   driver: try? linkBasename("\(link)/driver"),
                                   iommuGroup: (try? linkBasename("\(link)/iommu_group")).flatMap { Int($0) },
                                   driverOverride: Self.override(try? Files.read("\(link)/driver_override")))
        }
    }

    func linkBasename(_ path: String) throws -> String {
        let target = try Files.readLink(path)
        return String(target.split(separator: "/").last ?? Substring(target))
    }

    /// A directory's entries; empty when it does not exist (a VF without a netdev here).
    func optionalEntries(_ path: String) throws -> [String] {
        guard Files.exists(path) else { return [] }
        return try Directory.entries(path)
    }

    /// A decimal sysfs attribute; nil when the file does not exist.
    func optionalInt(_ path: String) throws -> Int? {
        guard Files.exists(path) else { return nil }
        let text = try Files.read(path).trimmingSpace()
        guard let n = Int(text), n >= 0 else { throw SRIOVError.badAttribute(path: path, text: text) }
        return n
    }

    /// Names become path components: refuse anything that could walk out of class/net.
    static func checkName(_ name: String) throws {
        guard !name.isEmpty, name.utf8.count <= 15, name != ".", name != "..",
              !name.contains("/"), !name.contains(where: { $0 == " " || $0 == "\n" || $0 == "\0" }) else {
            throw SRIOVError.invalidName(name)
        }
    }

    /// "0000:01:00.0" in lower case; "01:00.0" gets domain 0000 (as `lspci` prints it).
    public static func normalizedPCI(_ text: String) throws -> String {
        let full = text.split(separator: ":").count == 2 ? "0000:" + text : text
        let hex = "0123456789abcdef"
        let shape = Array(full.lowercased())
        let pattern = Array("hhhh:hh:hh.o")
        guard shape.count == pattern.count, zip(shape, pattern).allSatisfy({ c, p in
            switch p {
            case "h": return hex.contains(c)
            case "o": return ("0"..."7").contains(c)
            default: return c == p
            }
        }) else { throw SRIOVError.invalidPCIAddress(text) }
        return String(shape)
    }

    /// "aa:bb:cc:dd:ee:ff" in lower case, as sysfs writes it.
    public static func normalizedMAC(_ text: String) throws -> String {
        let parts = text.lowercased().split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isHexDigit) }) else {
            throw SRIOVError.invalidMAC(text)
        }
        return parts.joined(separator: ":")
    }
}
