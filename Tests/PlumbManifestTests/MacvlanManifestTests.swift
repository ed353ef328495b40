import PlumbTypes
import Testing
@testable import PlumbManifest

/// `macvlan: {parent, mode}` as a user writes it, and the diagnostics for what the kernel
/// would refuse, each with its path and line.
@Suite("Manifest: macvlan interfaces")
struct MacvlanManifestTests {
    func yaml(_ macvlan: String, extra: String = "") -> String {
        """
        version: 1
        containers:
          - name: app
            netns: app
            interfaces:
              - name: eth1
                macvlan: \(macvlan)
                addresses: [192.168.1.50/24]\(extra)
        """
    }

    @Test("parent and each mode decode; the mode defaults to bridge")
    func decodes() throws {
        for mode in MacvlanMode.allCases {
            let m = try ManifestLoader.parse(yaml("{parent: eth0, mode: \(mode.rawValue)}"), defaultName: "t")
            #expect(m.containers[0].interfaces[0].kind == .macvlan(parent: "eth0", mode: mode))
        }
        let m = try ManifestLoader.parse(yaml("{parent: eth0}"), defaultName: "t")
        #expect(m.containers[0].interfaces[0].kind == .macvlan(parent: "eth0", mode: .bridge))
    }

    @Test("a mode the kernel does not have, a bad parent name, a missing parent, two kinds: refused with path and line")
    func refusals() {
        #expect(problems(yaml("{parent: eth0, mode: bridged}")) == [
            #"containers[0].interfaces[0].macvlan.mode: expected one of bridge, private, vepa, passthru, got "bridged" (line 7)"#])
        #expect(problems(yaml("{parent: \"eth 0\"}")) == [
            #"containers[0].interfaces[0].macvlan.parent: "eth 0" is not a valid interface name: it contains whitespace (line 7)"#])
        #expect(problems(yaml("{mode: vepa}")).first?.hasPrefix("containers[0].interfaces[0].macvlan.parent: ") == true)
        #expect(problems(yaml("{parent: eth0, vlan: 5}")).first?.hasPrefix("containers[0].interfaces[0].macvlan.vlan: unknown key") == true)
        #expect(problems(yaml("{parent: eth0, mode: passthru}", extra: "\n        mac: \"02:00:00:00:00:01\"")) == [
            "containers[0].interfaces[0].mac: a passthru macvlan has its parent's MAC, and setting one would change eth0's; leave mac out or use another mode (line 9)"])
        let both = problems(yaml("{parent: eth0}", extra: "\n        vf: {nic: eth1, index: 0}"))
        #expect(both.contains { $0.hasPrefix("containers[0].interfaces[0]") && $0.contains("macvlan") && $0.contains("vf") }, "\(both)")
    }
}
