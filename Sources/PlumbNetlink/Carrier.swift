import PlumbSystem

extension RouteSocket {
    /// Polls the link until it has carrier (IFF_LOWER_UP); returns how long that took.
    /// Bounded and short-interval, never a fixed sleep. Needed after enabling VFs:
    /// igb resets the PF, whose link drops for a moment (about 0.3 s on the emulated
    /// 82576, seconds on real PHYs), and refuses a VF `max_tx_rate` without link (EINVAL).
    /// Equivalent to: `ip link show dev NAME` until it says LOWER_UP.
    @discardableResult
    public func waitForCarrier(index: Int, name: String, timeout: Duration,
                               interval: Duration = .milliseconds(50)) throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        let up = try Poll.until(timeout: timeout, interval: interval) { () -> Bool? in
            guard let link = try link(index: index) else {
                throw NetlinkError(operation: "RTM_GETLINK", object: "\(name) in \(label)", errno: .noDevice)
            }
            return link.carrier ? true : nil
        }
        guard up != nil else {
            throw NetlinkError(operation: "wait for carrier", object: "\(name) in \(label)", errno: .timedOut,
                               kernelMessage: "no carrier within \(Poll.seconds(timeout)) s")
        }
        return clock.now - start
    }
}
