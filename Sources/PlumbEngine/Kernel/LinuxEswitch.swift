import Foundation
import PlumbNetlink
import PlumbSystem
import PlumbTypes

/// `EswitchOps` over sysfs (the devlink handle, representors) and devlink netlink (the mode).
final class LinuxEswitch: EswitchOps {
    private var socket: DevlinkSocket?

    func eswitch(of pf: String) -> EswitchState {
        guard let handle = Self.handle(of: pf) else {
            return EswitchState(unsupported: "/sys/class/net/\(pf)/device is absent: \(pf) is no device's netdev")
        }
        do {
            let mode = try devlink().eswitchMode(handle)
            return EswitchState(handle: handle, mode: mode, representors: mode == .switchdev ? Self.representors(of: pf) : [])
        } catch let e as NetlinkError where e.errno == .noDevice {
            return EswitchState(handle: handle, unsupported: "its driver registers no devlink device (\(e))")
        } catch {
            return EswitchState(handle: handle, unsupported: "\(error)")
        }
    }

    func setEswitchMode(_ h: DevlinkHandle, _ mode: EswitchMode, pf: String) throws {
        try devlink().setEswitchMode(h, mode)
    }

    private func devlink() throws -> DevlinkSocket {
        if let socket { return socket }
        let s = try DevlinkSocket()
        socket = s
        return s
    }

    /// `pci/0000:01:00.0`: the bus is the device's `subsystem` link, the name its directory.
    static func handle(of pf: String) -> DevlinkHandle? {
        let device = "/sys/class/net/\(pf)/device"
        guard let dir = try? FileManager.default.destinationOfSymbolicLink(atPath: device),
              let bus = try? FileManager.default.destinationOfSymbolicLink(atPath: device + "/subsystem") else { return nil }
        return DevlinkHandle(bus: (bus as NSString).lastPathComponent, device: (dir as NSString).lastPathComponent)
    }

    /// The netdevs of the same device whose port name is a VF's (`pf0vf3`): its representors.
    static func representors(of pf: String) -> [String] {
        let fm = FileManager.default
        let device = URL(fileURLWithPath: "/sys/class/net/\(pf)/device").resolvingSymlinksInPath().path
        let names = (try? fm.contentsOfDirectory(atPath: device + "/net")) ?? []
        return names.filter { name in
            guard let port = try? String(contentsOfFile: "/sys/class/net/\(name)/phys_port_name", encoding: .utf8) else { return false }
            return port.trimmingCharacters(in: .whitespacesAndNewlines).range(of: #"^pf\d+vf\d+$"#, options: .regularExpression) != nil
        }.sorted()
    }
}
