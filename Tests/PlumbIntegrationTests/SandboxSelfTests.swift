import Foundation
import Testing

/// The sandbox itself, with plain iproute2 only: if these fail, no Plumb test result means anything.
/// Ten minutes: under the full suite (crash, concurrency and fault campaigns on two cores) a sandbox
/// start alone has taken over a minute; the limit catches a hang, not slowness.
@Suite("Sandbox", .timeLimit(.minutes(10)))
struct SandboxSelfTests {
    @Test("a fresh sandbox has only lo, up, and no named namespaces")
    func startsEmpty() throws {
        let sandbox = try Sandbox()
        #expect(try sandbox.links() == ["lo"])
        let lo = try #require(try sandbox.linkObjects().first)
        #expect((lo["flags"] as? [String] ?? []).contains("UP"))
        #expect(try sandbox.netnsList() == [])
        #expect(try sandbox.list("/run") == [])
    }

    @Test("a link and a netns made inside are invisible on the host and gone after teardown")
    func isPrivate() throws {
        let name = "itest\(UUID().uuidString.prefix(6).lowercased())"
        let scratch = FileManager.default.temporaryDirectory
        let sandbox = try Sandbox()
        try sandbox.must(["ip", "link", "add", name, "type", "bridge"])
        try sandbox.must(["ip", "netns", "add", name])
        #expect(try sandbox.links().contains(name))
        #expect(try sandbox.netnsList() == [name])

        let onHost = try Subprocess.run(["ip", "link", "show", name], timeout: .seconds(10), scratch: scratch)
        #expect(onHost.status != 0, "link \(name) leaked to the host:\n\(onHost)")
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(name)"), "netns leaked to the host's /run")

        let holder = sandbox.holderPID
        sandbox.close()
        #expect(eventually { isGone(holder) }, "the namespace holder \(holder) outlived teardown")
    }

    @Test("the helpers read what iproute2 built: netns, veth on a bridge, address, route, ping")
    func helpersReadIproute2() throws {
        let sandbox = try Sandbox()
        for line in [
            "ip link add br0 type bridge", "ip addr add 10.88.0.1/16 dev br0", "ip link set br0 up",
            "ip netns add c1",
            "ip link add h1 master br0 up type veth peer name eth0 netns c1",
            "ip -n c1 link set eth0 up", "ip -n c1 addr add 10.88.0.2/16 dev eth0",
            "ip -n c1 route add default via 10.88.0.1",
        ] {
            try sandbox.must(line.split(separator: " ").map(String.init))
        }
        #expect(try sandbox.netnsList() == ["c1"])
        #expect(try sandbox.links(master: "br0") == ["h1"])
        #expect(try sandbox.links(netns: "c1") == ["lo", "eth0"])
        #expect(try sandbox.addresses(netns: "c1", dev: "eth0").contains("10.88.0.2/16"))
        #expect(try sandbox.routes(netns: "c1").contains(.init(dst: "default", gateway: "10.88.0.1", dev: "eth0")))
        let ping = try sandbox.ping(from: "c1", "10.88.0.1")
        #expect(ping.succeeded, "\(ping)")

        try sandbox.must(["ip", "netns", "del", "c1"])
        #expect(try eventually { try sandbox.links() == ["lo", "br0"] }, "h1 outlived its peer's netns")
    }
}

/// Dead: no /proc entry, or a zombie waiting for a (possibly slow) reaper.
private func isGone(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return true }
    return stat[stat.index(close, offsetBy: 2)] == "Z"
}
