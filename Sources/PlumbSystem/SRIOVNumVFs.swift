import Glibc

/// The sriov_numvfs writes that take a PF from `current` to `desired` VFs.
///
/// igb (like most PF drivers: the PCI core itself returns EBUSY) cannot change a
/// non-zero VF count directly: it must go through 0, which destroys every live VF
/// (netdevs moved into containers included). The planner shows that and asks for
/// consent (`SRIOV.allowDisruptive`) before using a plan that does it.
public struct NumVFsChange: Sendable, Equatable {
    public var current: Int
    public var desired: Int

    public init(current: Int, desired: Int) { self.current = current; self.desired = desired }

    /// `[]` when converged, `[n]` from or to 0, `[0, n]` between two non-zero counts.
    public var writes: [Int] {
        if current == desired { return [] }
        if current == 0 || desired == 0 { return [desired] }
        return [0, desired]
    }

    /// True when existing VFs disappear: any change away from a non-zero count.
    public var destroysVFs: Bool { current > 0 && current != desired }

    /// True when it needs the disruptive detour through 0.
    public var throughZero: Bool { writes.count == 2 }
}

extension SRIOVSysfs {
    /// Writes `n` to the PF's `device/sriov_numvfs`, and nothing else: it never goes
    /// through 0 by itself. igb needs 0 before a different non-zero count (else EBUSY),
    /// and writing 0 destroys live VFs: the caller must have decided that is allowed
    /// (see `NumVFsChange`). The VF netdevs appear later: `waitForVFNetdevs`.
    /// Equivalent to: `echo N > /sys/class/net/PF/device/sriov_numvfs`.
    public func setNumVFs(_ pf: PhysicalFunction, _ n: Int) throws {
        guard let total = pf.totalVFs else { throw SRIOVError.noSRIOV(name: pf.name, driver: pf.driver) }
        guard (0...total).contains(n) else { throw SRIOVError.tooManyVFs(name: pf.name, requested: n, total: total) }
        let path = "\(root)/class/net/\(pf.name)/device/sriov_numvfs"
        do {
            try Self.writeAttribute(path, "\(n)\n")
        } catch let e as SystemError {
            let now = try? optionalInt(path)
            throw SRIOVError.numVFsRefused(name: pf.name, driver: pf.driver, requested: n, current: now ?? nil, errno: e.errno)
        }
    }

    /// Polls sysfs until VFs 0..<count exist and each has a netdev, then returns the PF's
    /// VFs. Bounded: a short interval, never a fixed sleep; on timeout the error says how
    /// many appeared and which VFs still lack a netdev (and whether a driver is bound).
    /// Call it right after enabling VFs: a VF already moved into another namespace has
    /// no netdev here. Equivalent to: `ls /sys/class/net/PF/device/virtfn*/net/` in a loop.
    public func waitForVFNetdevs(pf: PhysicalFunction, count: Int, timeout: Duration = .seconds(10),
                                 interval: Duration = .milliseconds(50)) throws -> [VirtualFunction] {
        var last: [VirtualFunction] = []
        let ready = try Poll.until(timeout: timeout, interval: interval) { () -> [VirtualFunction]? in
            last = try reload(pf).vfs
            return last.filter { $0.index < count && !$0.netdevs.isEmpty }.count == count ? last : nil
        }
        if let ready { return ready }
        let wanted = last.filter { $0.index < count }
        let waiting = wanted.filter { $0.netdevs.isEmpty }
        throw SRIOVError.vfNetdevsTimeout(
            name: pf.name, expected: count, appeared: wanted.count - waiting.count, present: last.count,
            waiting: waiting.map(Self.waitingLabel), seconds: Poll.seconds(timeout))
    }

    static func waitingLabel(_ vf: VirtualFunction) -> String {
        "vf \(vf.index) \(vf.pciAddress) (\(vf.driver.map { "driver \($0)" } ?? "no driver bound"))"
    }

    /// A sysfs attribute write as `echo N > FILE` does it: O_TRUNC, one write, never
    /// O_CREAT (a missing attribute must fail, not become a file).
    static func writeAttribute(_ path: String, _ text: String) throws {
        let fd = try check("open", path) { open(path, O_WRONLY | O_TRUNC | O_CLOEXEC) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let n = bytes.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count) }
        if n < 0 { throw SystemError("write", path) }
        if n != bytes.count { throw SystemError("write", path, .io) }
    }
}
