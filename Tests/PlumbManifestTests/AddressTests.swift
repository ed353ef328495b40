import PlumbTypes
import Testing
@testable import PlumbManifest

/// Address parsing and printing: what the manifest accepts and how plumb writes it back.

@Test(arguments: ["10.88.0.300", "010.0.0.1", "1.2.3", "1.2.3.4.5", " 1.2.3.4", "1.2.3.4 ", "1..2.3", "",
                  ":::", "1:::2", "1::2::3", "12345::", "g::", "+1::", "1.2.3.4::", "fe80::1%eth0",
                  "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "::ffff:1.2.3.04"])
func rejectedAddresses(_ text: String) {
    #expect(IPAddress(text) == nil)
}

@Test(arguments: [
    ("0.0.0.0", "0.0.0.0"), ("255.255.255.255", "255.255.255.255"), ("10.88.0.1", "10.88.0.1"),
    ("::", "::"), ("1::", "1::"), ("::1", "::1"), ("fe80::1", "fe80::1"),
    ("2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"), ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
    ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"), ("0:0:0:0:0:0:0:0", "::"), ("::ffff:1.2.3.4", "::ffff:102:304"),
])
func acceptedAddressesPrintCanonically(_ text: String, _ printed: String) {
    #expect(IPAddress(text)?.description == printed)
}

@Test func addressFamilies() {
    #expect(IPAddress("10.0.0.1")?.family == .v4)
    #expect(IPAddress("::")?.family == .v6)
    #expect(IPAddress("::ffff:1.2.3.4")?.bytes == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4])
}

@Test(arguments: ["10.88.0.300/16", "10.0.0.1/33", "::/129", "10.0.0.1/", "10.0.0.1/+8", "10.0.0.1/-1",
                  "/16", "10.0.0.1/16/2", "10.0.0.1"])
func rejectedPrefixes(_ text: String) {
    #expect(IPPrefix(text) == nil)
}

@Test func prefixes() throws {
    let v6 = try #require(IPPrefix("fe80::1/64"))
    #expect(v6.description == "fe80::1/64")
    #expect(v6.network.description == "fe80::/64")
    #expect(IPPrefix("::/0")?.isDefault == true)
    #expect(IPPrefix("10.0.0.1/32")?.length == 32)
    #expect(IPPrefix("10.0.0.1", allowBare: true)?.description == "10.0.0.1/32")
    #expect(IPPrefix("fd00::1", allowBare: true)?.description == "fd00::1/128")
    let net = try #require(IPPrefix("10.88.3.4/16"))
    #expect(net.network.description == "10.88.0.0/16")
    #expect(net.contains(IPAddress("10.88.255.255")!))
    #expect(!net.contains(IPAddress("10.89.0.0")!))
    #expect(!net.contains(IPAddress("::a58:1")!))
    #expect(IPPrefix("10.1.2.3/13")?.network.description == "10.0.0.0/13")
    #expect(IPPrefix.defaultRoute(.v6).description == "::/0")
}

@Test(arguments: ["2:0:0:0:0:10", "02-00-00-00-00-10", "+f:00:00:00:00:00", "02:00:00:00:00", "02:00:00:00:00:00:00",
                  "0g:00:00:00:00:00", ""])
func rejectedMACs(_ text: String) {
    #expect(MACAddress(text) == nil)
}

@Test func macs() {
    #expect(MACAddress("02:AA:bb:0c:00:10")?.description == "02:aa:bb:0c:00:10")
    #expect(MACAddress("01:00:5e:00:00:01")?.isMulticast == true)
    #expect(MACAddress("02:00:00:00:00:01")?.isMulticast == false)
    #expect(MACAddress("00:00:00:00:00:00")?.isZero == true)
}

@Test func cpuLists() {
    #expect(CPUList.parse("0") == [0...0])
    #expect(CPUList.parse("1-3,5") == [1...3, 5...5])
    #expect(CPUList.parse("0-8191") == [0...8191])
    for bad in ["", "3-1", "1,", "-1", "1-", "a", "1-2-3", "+1", "0-99999", "8192"] {
        #expect(CPUList.parse(bad) == nil, "\(bad)")
    }
}
