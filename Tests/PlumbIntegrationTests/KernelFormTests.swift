import Foundation
import Testing

/// Issue "verification you can trust", must-show 4: each value the kernel rewrites either
/// converges after one apply (plan empty, verify passing) or is refused with a message.
@Suite("Values the kernel rewrites", .timeLimit(.minutes(10)))
struct KernelFormConvergenceTests {
    static func manifest(sysctl: String, bridgeMTU: String = "", portMTU: String = "") -> String {
        """
        version: 1
        name: forms
        host:
          sysctl:
        \(sysctl)
        bridges:
          - name: br0
            addresses: [10.88.0.1/16]
        \(bridgeMTU)
        containers:
          - name: web
            netns: web
            interfaces:
              - name: eth0
                veth: {bridge: br0}
                addresses: [10.88.0.2/16]
        \(portMTU)
            routes:
              - {to: default, via: 10.88.0.1}
        """
    }

    @Test("\"01\", \"0x2\", \" 5\", \"32768   60999\" and a 9000-byte bridge with a port that declares no mtu converge after one apply")
    func convergesAfterOneApply() throws {
        let sandbox = try Sandbox()
        let text = Self.manifest(sysctl: [
            #"    net.ipv4.ip_forward: "01""#, #"    net.ipv4.conf.all.rp_filter: "0x2""#,
            #"    net.ipv4.tcp_syn_retries: " 5""#, #"    net.ipv4.ip_local_port_range: "32768   60999""#,
        ].joined(separator: "\n"), bridgeMTU: "    mtu: 9000")
        let manifest = try sandbox.writeManifest(text)
        try sandbox.applyOrFail(manifest)
        try sandbox.expectConverged(manifest)
        let verify = try sandbox.plumb("verify", manifest)
        #expect(verify.status == 0, "\(verify)")
        let kernel = try sandbox.must(["sysctl", "-n", "net.ipv4.ip_forward", "net.ipv4.conf.all.rp_filter",
                                       "net.ipv4.tcp_syn_retries", "net.ipv4.ip_local_port_range"]).stdout
        #expect(kernel.split(separator: "\n") == ["1", "2", "5", "32768\t60999"], "\(kernel)")
        let mtus = try sandbox.linkObjects().reduce(into: [String: Int]()) { $0[$1["ifname"] as? String ?? ""] = $1["mtu"] as? Int }
        #expect(mtus["br0"] == 9000 && mtus["web-eth0"] == 9000, "the kernel lowered the bridge or the port kept 1500: \(mtus)")
        #expect(try sandbox.linkObjects(netns: "web").first { $0["ifname"] as? String == "eth0" }?["mtu"] as? Int == 9000)
    }

    @Test("a value the kernel would read otherwise, or a port MTU below its bridge's, is refused before any change",
          arguments: [
              (sysctl: "    net.ipv4.ip_forward: \"010\"", bridge: "", port: "",
               message: #"host.sysctl.net.ipv4.ip_forward: "010" is octal to the kernel (it reads 8)"#),
              (sysctl: "    net.ipv4.ip_forward: 1", bridge: "    mtu: 9000", port: "        mtu: 1500",
               message: "containers[0].interfaces[0].mtu: 1500 differs from bridge br0's mtu 9000: the kernel lowers a bridge to its smallest port's MTU"),
          ])
    func refused(sysctl: String, bridge: String, port: String, message: String) throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Self.manifest(sysctl: sysctl, bridgeMTU: bridge, portMTU: port))
        let apply = try sandbox.plumb("apply", manifest)
        #expect(apply.status == 1, "\(apply)")
        #expect(apply.stderr.contains(message), "\(apply)")
        #expect(try sandbox.links() == ["lo"], "a refused manifest changed the kernel")
    }
}
