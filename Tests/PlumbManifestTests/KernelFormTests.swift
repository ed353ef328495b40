import PlumbTypes
import Testing
@testable import PlumbManifest

/// Issue "verification you can trust", item 4: values the kernel rewrites are taken in the
/// form the kernel prints them back (so one apply converges), or refused with the reason.
@Suite("Values in the kernel's form")
struct KernelFormTests {
    static func sysctls(_ entries: String) -> String {
        base.replacingOccurrences(of: "version: 1\n", with: "version: 1\nhost:\n  sysctl:\n\(entries)")
    }

    @Test("sysctl spellings the kernel reads as one number load as that number",
          arguments: [("\"01\"", "1"), ("\"0x1\"", "1"), ("\" 1\"", "1"), ("\"1 \"", "1"), ("1", "1"), ("\"007\"", "7"),
                      ("\"32768   60999\"", "32768 60999"), ("\"32768\\t60999\"", "32768 60999"), ("\"0x10 -2\"", "16 -2"),
                      ("cubic", "cubic"), ("\" 8080,9000-9100 \"", "8080,9000-9100"), ("true", "1")])
    func canonicalSysctl(written: String, loaded: String) throws {
        let m = try #require(load(Self.sysctls("    net.ipv4.ip_forward: \(written)\n")))
        #expect(m.host.sysctl.first?.value == loaded)
    }

    @Test("octal the writer did not mean, and digits octal cannot have, are refused with the reason",
          arguments: [("\"010\"", #"host.sysctl.net.ipv4.ip_forward: "010" is octal to the kernel (it reads 8); write 8, or the number without its leading zero (line 4)"#),
                      ("\"08\"", #"host.sysctl.net.ipv4.ip_forward: "08" is not a number the kernel reads: a leading 0 makes it octal, and 8 and 9 are not octal digits (line 4)"#),
                      ("\"99999999999999999999\"", #"host.sysctl.net.ipv4.ip_forward: "99999999999999999999" is beyond the range of a kernel integer (line 4)"#)])
    func refusedSysctl(written: String, message: String) {
        #expect(problems(Self.sysctls("    net.ipv4.ip_forward: \(written)\n")) == [message])
    }

    @Test("a kernel reading compares equal to the declared value in any of its spellings")
    func sameValue() {
        #expect(SysctlValue.same("1", "01"))
        #expect(SysctlValue.same("32768 60999", "32768\t60999"))
        #expect(!SysctlValue.same("0", "1"))
        #expect(!SysctlValue.same("cubic", "reno"))
    }

    @Test("a bridge port without mtu takes its bridge's declared mtu")
    func portTakesBridgeMTU() throws {
        let yaml = base.replacingOccurrences(of: "    addresses: [10.88.0.1/16]\n", with: "    addresses: [10.88.0.1/16]\n    mtu: 9000\n")
        let m = try #require(load(yaml))
        #expect(m.containers[0].interfaces[0].mtu == 9000)
        #expect(m.containers[1].interfaces[0].mtu == nil, "a VF is no bridge port")
    }

    @Test("a bridge port whose mtu differs from its bridge's is refused, naming both")
    func portMTUMismatch() {
        let yaml = base.replacingOccurrences(of: "    addresses: [10.88.0.1/16]\n", with: "    addresses: [10.88.0.1/16]\n    mtu: 9000\n")
            .replacingOccurrences(of: "        veth: {bridge: br0}\n", with: "        veth: {bridge: br0}\n        mtu: 1500\n")
        #expect(problems(yaml) == [
            "containers[0].interfaces[0].mtu: 1500 differs from bridge br0's mtu 9000: the kernel lowers a bridge to its smallest port's MTU, and a bridge above a port's MTU drops larger frames to it; leave mtu out (a bridge port takes its bridge's) or make them equal (line 18)",
        ])
    }
}
