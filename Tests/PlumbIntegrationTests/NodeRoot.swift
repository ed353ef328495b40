import Foundation

/// What a node keeps across reboots, staged in a scratch directory the way an operator
/// installs it: `scripts/install-service.sh` (DESTDIR = this root) puts the binary under test
/// in usr/local/sbin and the units in etc/systemd/system, `systemctl --root … enable
/// plumb.service` enables it (the symlink in multi-user.target.wants), plus a machine-id
/// (so systemd boots it as an installed machine, not a first boot that runs the
/// interactive systemd-firstboot and enables every preset unit of the host's /usr).
///
/// Beside plumb.service it enables `containerd.service`, a stand-in for a container
/// runtime: at its start it records which links exist. plumb.service orders itself before
/// containerd.service; the record shows whether that held. And Debian's own
/// `nftables.service` (from the host's /usr) with an /etc/nftables.conf that starts, as
/// Debian's does, with `flush ruleset`: a firewall loaded after plumb.service would wipe its
/// NAT table, so the port forward and the table listing show whether plumb ran after it.
/// The firewall is made slow (a drop-in sleeps 2 s first): it has no default dependencies
/// and would otherwise be done long before any ordinary service starts, ordered or not.
struct NodeRoot {
    let root: URL
    let machineID: URL
    let nftablesConf: URL

    /// The node's firewall: a table of its own, after a flush of everything.
    static let firewallTable = "inet hostfw"
    static let nftablesRules = """
        flush ruleset
        table \(firewallTable) {
          chain input { type filter hook input priority 0; policy accept; }
        }

        """

    /// Where the stand-in runtime writes what it saw (inside the machine).
    static let runtimeSawLinks = "/run/runtime-saw-links"

    static let runtimeStandIn = """
        [Unit]
        Description=Stand-in for containerd (test): records the links present when a runtime starts
        After=network.target

        [Service]
        Type=oneshot
        RemainAfterExit=yes
        ExecStart=/bin/sh -c 'ip -o link show > \(runtimeSawLinks)'

        [Install]
        WantedBy=multi-user.target

        """

    init(scratch: URL) throws {
        root = scratch.appendingPathComponent("node-root")
        machineID = scratch.appendingPathComponent("machine-id")
        nftablesConf = scratch.appendingPathComponent("nftables.conf")
        guard FileManager.default.fileExists(atPath: Self.debianFirewallUnit) else {
            throw SubprocessError(description: "\(Self.debianFirewallUnit) is missing: scripts/install.sh installs nftables")
        }
        let install = try Subprocess.run(
            [PlumbBinary.packageRoot.appendingPathComponent("scripts/install-service.sh").path],
            environment: ["DESTDIR": root.path, "PLUMB_BIN": try PlumbBinary.path()],
            timeout: .seconds(60), scratch: scratch)
        guard install.succeeded else { throw SubprocessError(description: "install-service.sh failed:\n\(install)") }
        let units = root.appendingPathComponent("etc/systemd/system")
        try Self.runtimeStandIn.write(to: units.appendingPathComponent("containerd.service"), atomically: true, encoding: .utf8)
        for unit in ["plumb.service", "plumb-watch.service", "containerd.service"] {
            let enable = try Subprocess.run(["systemctl", "--root=\(root.path)", "enable", unit],
                                            timeout: .seconds(30), scratch: scratch)
            guard enable.succeeded else { throw SubprocessError(description: "cannot enable \(unit):\n\(enable)") }
        }
        // `systemctl --root enable` looks for the unit under the root; nftables.service is in
        // the host's /usr, which the machine shares: make its WantedBy=sysinit.target link.
        let wants = units.appendingPathComponent("sysinit.target.wants")
        try FileManager.default.createDirectory(at: wants, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: wants.appendingPathComponent("nftables.service").path,
                                                   withDestinationPath: Self.debianFirewallUnit)
        let dropIn = units.appendingPathComponent("nftables.service.d")
        try FileManager.default.createDirectory(at: dropIn, withIntermediateDirectories: true)
        try Self.slowFirewall.write(to: dropIn.appendingPathComponent("slow.conf"), atomically: true, encoding: .utf8)
        try Self.nftablesRules.write(to: nftablesConf, atomically: true, encoding: .utf8)
        let id = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        try (id + "\n").write(to: machineID, atomically: true, encoding: .utf8)
    }

    static let debianFirewallUnit = "/usr/lib/systemd/system/nftables.service"
    static let slowFirewall = "[Service]\nExecStartPre=/bin/sleep 2\n"

    /// nspawn's binds. Only /usr is the host's: the binary's directory over /usr/local/sbin (a
    /// directory that exists in the host's /usr, so nothing is created there), the Swift
    /// runtime the binary links (/opt/swift), the units, the manifests, the machine-id, the
    /// firewall's rules.
    func binds(manifests: URL) -> [String] {
        var binds = [
            "--bind-ro=\(root.path)/usr/local/sbin:/usr/local/sbin",
            "--bind-ro=\(root.path)/etc/systemd/system:/etc/systemd/system",
            "--bind-ro=\(manifests.path):/etc/plumb",
            "--bind=\(machineID.path):/etc/machine-id",
            "--bind-ro=\(nftablesConf.path):/etc/nftables.conf",
        ]
        if FileManager.default.fileExists(atPath: "/opt/swift") { binds.append("--bind-ro=/opt/swift") }
        return binds
    }
}
