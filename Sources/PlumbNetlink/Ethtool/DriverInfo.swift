import CNetlink
import Glibc
import PlumbSystem

extension Ethtool {
    /// A device's driver, as `ethtool -i` shows it.
    public struct DriverInfo: Sendable, Equatable {
        /// "igb", "igbvf", "veth".
        public var driver: String
        public var version: String
        public var firmwareVersion: String
        /// The PCI address ("0000:01:00.0"); "" for virtual devices.
        public var busInfo: String

        public init(driver: String, version: String = "", firmwareVersion: String = "", busInfo: String = "") {
            self.driver = driver; self.version = version; self.firmwareVersion = firmwareVersion; self.busInfo = busInfo
        }
    }
}

/// SIOCETHTOOL from <linux/sockios.h>; names are at most IFNAMSIZ (16) bytes with the NUL.
private let siocEthtool: UInt = 0x8946

extension EthtoolSocket {
    /// The driver of a device. The ethtool netlink family has no driver-info message, so
    /// this is the ETHTOOL_GDRVINFO ioctl, sent on this socket's own descriptor: the
    /// kernel answers it for the socket's namespace, like every other call here.
    /// Equivalent to: `ethtool -i IFNAME`.
    public func driverInfo(_ ifname: String) throws -> Ethtool.DriverInfo {
        let name = Array(ifname.utf8)
        guard !name.isEmpty, name.count < 16 else {
            throw NetlinkError(operation: "ETHTOOL_GDRVINFO", object: ifname, errno: .invalid,
                               kernelMessage: "not an interface name (1…15 bytes)")
        }
        var info = ethtool_drvinfo()
        info.cmd = UInt32(ETHTOOL_GDRVINFO)
        var request = ifreq()
        withUnsafeMutableBytes(of: &request.ifr_ifrn.ifrn_name) { $0.copyBytes(from: name) }
        let rc = withUnsafeMutablePointer(to: &info) { p in
            request.ifr_ifru.ifru_data = UnsafeMutableRawPointer(p).assumingMemoryBound(to: CChar.self)
            return ioctl(nl_socket_get_fd(sock), siocEthtool, &request)
        }
        guard rc == 0 else {
            throw NetlinkError(operation: "ETHTOOL_GDRVINFO", object: label.map { "\(ifname) in \($0)" } ?? ifname,
                               errno: .current)
        }
        return Ethtool.DriverInfo(driver: cString(info.driver), version: cString(info.version),
                                  firmwareVersion: cString(info.fw_version), busInfo: cString(info.bus_info))
    }
}

/// A fixed-size C char array (imported as a tuple) up to its NUL.
private func cString<T>(_ tuple: T) -> String {
    withUnsafeBytes(of: tuple) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
}
