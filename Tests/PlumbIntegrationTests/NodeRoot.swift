import Foundation

/// What a node keeps across reboots, staged in a scratch directory the way an operator
/// installs it: `scripts/install-service.sh` (DESTDIR = this root) puts the binary under test
/// in usr/local/sbin and the units in etc/systemd/system, `systemctl --root … enable
/// plumb.service` enables it (the symlink in multi-user.target.wants), plus a machine-id
/// (so systemd boots it as an installed machine, not a first boot that runs the
/// interactive systemd-firstboot and enables every preset unit of the host's /usr).
///
/// Beside plumb.service it enables `containerd.service`, a stand-in for a container
/// runtime: at its start it records which links and named namespaces exist. plumb.service
/// orders itself before containerd.service; the record shows whether that held.
struct NodeRoot {
    let root: URL
    let machineID: URL

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
        let install = try Subprocess.run(
            [PlumbBinary.packageRoot.appendingPathComponent("scripts/install-service.sh").path],
            environment: ["DESTDIR": root.path, "PLUMB_BIN": try PlumbBinary.path()],
            timeout: .seconds(60), scratch: scratch)
        guard install.succeeded else { throw SubprocessError(description: "install-service.sh failed:\n\(install)") }
        let units = root.appendingPathComponent("etc/systemd/system")
        try Self.runtimeStandIn.write(to: units.appendingPathComponent("containerd.service"), atomically: true, encoding: .utf8)
        for unit in ["plumb.service", "containerd.service"] {
            let enable = try Subprocess.run(["systemctl", "--root=\(root.path)", "enable", unit],
                                            timeout: .seconds(30), scratch: scratch)
            guard enable.succeeded else { throw SubprocessError(description: "cannot enable \(unit):\n\(enable)") }
        }
        let id = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        try (id + "\n").write(to: machineID, atomically: true, encoding: .utf8)
    }

    /// The unit as installed: what the machine's systemd reads.
    func installedUnit(_ name: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent("etc/systemd/system/\(name)"), encoding: .utf8)
    }

    /// nspawn's binds. Only /usr is the host's: the binary's directory over /usr/local/sbin (a
    /// directory that exists in the host's /usr, so nothing is created there), the Swift
    /// runtime the binary links (/opt/swift), the units, the manifests, the machine-id.
    func binds(manifests: URL) -> [String] {
        var binds = [
            "--bind-ro=\(root.path)/usr/local/sbin:/usr/local/sbin",
            "--bind-ro=\(root.path)/etc/systemd/system:/etc/systemd/system",
            "--bind-ro=\(manifests.path):/etc/plumb",
            "--bind=\(machineID.path):/etc/machine-id",
        ]
        if FileManager.default.fileExists(atPath: "/opt/swift") { binds.append("--bind-ro=/opt/swift") }
        return binds
    }
}
