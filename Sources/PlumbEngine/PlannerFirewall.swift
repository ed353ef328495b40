import PlumbFirewall
import PlumbManifest

extension Planner {
    /// One step that swaps the manifest's whole nftables table in, when the kernel's
    /// table differs from the desired ruleset in any rule (each difference named);
    /// or one that deletes our table when the manifest no longer declares NAT.
    func firewallSteps() throws -> [Step] {
        let table = NATDesign.table(for: manifest.name)
        let desired = NATDesign.ruleset(manifest)
        // A table with our name that our record does not list was made by someone
        // else: replacing it would delete their rules.
        if observed.firewall != nil, record.firewallTable != table.description {
            throw error("bridges", "nftables table \(table) exists and was not created by plumb for manifest \(manifest.name); rename the manifest or remove the table")
        }
        if desired.isEmpty {
            guard observed.firewall != nil, record.firewallTable == table.description else { return [] }
            return [Step(.deleteFirewall, table.description, ["reason": "the manifest declares no NAT"])]
        }
        let drift = OwnedTable.diff(desired: desired, observed: observed.firewall, table: table)
        if drift.isEmpty { return [] }
        return [Step(.replaceFirewall, table.description, [
            "script": Renderer.replaceScript(desired, table: table),
            "reason": drift.map(\.description).joined(separator: "; "),
        ])]
    }

    /// Declared sysctls plus those NAT implies (net.ipv4.ip_forward).
    var desiredSysctls: [Sysctl] {
        (manifest.hostLayerManagedElsewhere ? [] : manifest.host.sysctl) + NATDesign.impliedSysctls(manifest)
    }
}
