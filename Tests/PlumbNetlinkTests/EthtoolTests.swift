import Foundation
import Testing
@testable import PlumbNetlink
import PlumbSystem

// Root tests: each makes its own anonymous network namespace holding a veth pair
// va/vb with 4 rx and 4 tx queues, talks to it through an EthtoolSocket opened
// inside it, and checks the result independently with `ethtool` (Debian package
// `ethtool`). Nothing outside the test's namespace is changed.

/// A new anonymous namespace with a 4-queue veth pair: no name under /run/netns, so a run
/// killed half way leaves nothing (the namespace goes with its last reference, this fd).
/// `ns` is the file other commands enter it by (`nsenter --net=/proc/PID/fd/FD`).
private func withVethNamespace(_ body: (_ ns: String, _ socket: EthtoolSocket) throws -> Void) throws {
    let (socket, namespace) = try NetnsThread.runInNewNamespace { () throws -> (EthtoolSocket, NetworkNamespace) in
        (try EthtoolSocket(), try NetworkNamespace.open(path: "/proc/thread-self/ns/net"))
    }
    let ns = "/proc/\(getpid())/fd/\(namespace.fd)"
    try run("nsenter", "--net=\(ns)", "ip", "link", "add", "va", "numtxqueues", "4", "numrxqueues", "4",
            "type", "veth", "peer", "vb", "numtxqueues", "4", "numrxqueues", "4")
    try withExtendedLifetime(namespace) { try body(ns, socket) }
}

/// Runs a command; returns stdout, or throws with its stderr when it fails.
@discardableResult
private func run(_ args: String...) throws -> String {
    try runStatus(args).get()
}

private struct CommandFailed: Error, CustomStringConvertible {
    var description: String
}

private func runStatus(_ args: [String]) -> Result<String, CommandFailed> {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = args
    p.environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]
    let out = Pipe(), err = Pipe()
    p.standardOutput = out; p.standardError = err
    do { try p.run() } catch { return .failure(CommandFailed(description: "\(args): \(error)")) }
    let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
        return .failure(CommandFailed(description: "\(args.joined(separator: " ")): \(stderr)"))
    }
    return .success(stdout)
}

/// `ethtool ARGS` inside the namespace.
private func ethtool(_ ns: String, _ args: String...) throws -> String {
    try runStatus(["nsenter", "--net=\(ns)", "ethtool"] + args).get()
}

/// The value after `key:` in the given section of `ethtool -l`-style output.
private func field(_ output: String, section: String, _ key: String) -> String? {
    guard let start = output.range(of: section) else { return nil }
    for line in output[start.upperBound...].split(separator: "\n") {
        let parts = line.split(separator: ":", maxSplits: 1)
        if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == key {
            return parts[1].trimmingCharacters(in: .whitespaces)
        }
    }
    return nil
}

/// "on" / "off" (with " [fixed]") of one line of `ethtool -k`.
private func featureLine(_ output: String, _ name: String) -> String? {
    field(output, section: "Features for", name)
}

@Suite("ethtool netlink on veth (root)", .serialized)
struct EthtoolTests {
    @Test("channels read like ethtool -l")
    func readChannels() throws {
        try withVethNamespace { ns, socket in
            let channels = try socket.channels("va")
            #expect(channels == Ethtool.Channels(rx: 4, rxMax: 4, tx: 4, txMax: 4))
            let shown = try ethtool(ns, "-l", "va")
            #expect(field(shown, section: "Pre-set maximums:", "RX") == "\(channels.rxMax)")
            #expect(field(shown, section: "Current hardware settings:", "TX") == "\(channels.tx)")
            #expect(field(shown, section: "Current hardware settings:", "Combined") == "n/a")
        }
    }

    @Test("setChannels rx 2 tx 2 is what ethtool -l then shows")
    func setChannels() throws {
        try withVethNamespace { ns, socket in
            try socket.setChannels("va", rx: 2, tx: 2)
            #expect(try socket.channels("va") == Ethtool.Channels(rx: 2, rxMax: 4, tx: 2, txMax: 4))
            let shown = try ethtool(ns, "-l", "va")
            #expect(field(shown, section: "Current hardware settings:", "RX") == "2")
            #expect(field(shown, section: "Current hardware settings:", "TX") == "2")
            // Only the named count changes.
            try socket.setChannels("va", tx: 3)
            #expect(try socket.channels("va").rx == 2)
            #expect(try socket.channels("va").tx == 3)
        }
    }

    @Test("a channel count beyond the maximum fails with the kernel's text and EINVAL")
    func channelsBeyondMaximum() throws {
        try withVethNamespace { ns, socket in
            let error = #expect(throws: NetlinkError.self) { try socket.setChannels("va", rx: 9) }
            #expect(error?.errno == .invalid)
            #expect(error?.description == "ETHTOOL_MSG_CHANNELS_SET va: requested channel count exceeds maximum (EINVAL)")
            let after = try socket.channels("va")
            let shown = try ethtool(ns, "-l", "va")
            #expect(after.rx == 4)
            #expect(field(shown, section: "Current hardware settings:", "RX") == "4")
        }
    }

    @Test("GRO reads and toggles like ethtool -k / -K gro")
    func toggleGRO() throws {
        try withVethNamespace { ns, socket in
            let before = try #require(try socket.features("va").gro)
            #expect(before.changeable)
            #expect(featureLine(try ethtool(ns, "-k", "va"), "generic-receive-offload") == (before.active ? "on" : "off"))

            let on = try socket.setGRO("va", true)
            #expect(on == Ethtool.Feature(active: true, requested: true, changeable: true))
            #expect(featureLine(try ethtool(ns, "-k", "va"), "generic-receive-offload") == "on")

            let off = try socket.setGRO("va", false)
            #expect(!off.active)
            #expect(featureLine(try ethtool(ns, "-k", "va"), "generic-receive-offload") == "off")
        }
    }

    @Test("features agree with ethtool -k on which are fixed")
    func fixedFeatures() throws {
        try withVethNamespace { ns, socket in
            let features = try socket.features("va")
            let shown = try ethtool(ns, "-k", "va")
            for name in ["rx-gro-hw", "rx-gro-list", "rx-udp-gro-forwarding", "tx-checksum-ipv4"] {
                let f = try #require(features[name], "\(name) missing")
                #expect(featureLine(shown, name) == f.description, "\(name)")
            }
        }
    }

    @Test("turning on a fixed feature is an error naming it, not a silent no-op")
    func fixedFeatureChange() throws {
        try withVethNamespace { _, socket in
            let error = #expect(throws: NetlinkError.self) { try socket.setFeatures("va", ["rx-gro-hw": true]) }
            #expect(error?.errno == .notSupported)
            #expect(error?.description.hasPrefix("ETHTOOL_MSG_FEATURES_SET va: rx-gro-hw is off after requesting on") == true)
        }
    }

    @Test("an unknown feature name fails in the kernel")
    func unknownFeature() throws {
        try withVethNamespace { _, socket in
            let error = #expect(throws: NetlinkError.self) { try socket.setFeatures("va", ["rx-bogus": true]) }
            #expect(error?.errno == .notSupported)
            #expect(error?.kernelMessage == "bit name not found")
        }
    }

    @Test("rings on veth: EOPNOTSUPP naming the operation, as ethtool -g fails")
    func ringsNotSupported() throws {
        try withVethNamespace { ns, socket in
            let get = #expect(throws: NetlinkError.self) { try socket.rings("va") }
            #expect(get?.errno == .notSupported)
            #expect(get?.description == "ETHTOOL_MSG_RINGS_GET va: Operation not supported (EOPNOTSUPP)")
            let set = #expect(throws: NetlinkError.self) { try socket.setRings("va", rx: 256) }
            #expect(set?.operation == "ETHTOOL_MSG_RINGS_SET")
            #expect(set?.errno == .notSupported)
            #expect(throws: CommandFailed.self) { try ethtool(ns, "-g", "va") }
        }
    }

    @Test("coalescing on veth: EOPNOTSUPP for get and set")
    func coalesceNotSupported() throws {
        try withVethNamespace { _, socket in
            let get = #expect(throws: NetlinkError.self) { try socket.coalesce("va") }
            #expect(get?.errno == .notSupported)
            #expect(get?.operation == "ETHTOOL_MSG_COALESCE_GET")
            let set = #expect(throws: NetlinkError.self) { try socket.setCoalesce("va", adaptiveRx: true, rxUsecs: 50) }
            #expect(set?.errno == .notSupported)
        }
    }

    @Test("driver info reads like ethtool -i, in the socket's namespace")
    func driverInfo() throws {
        try withVethNamespace { ns, socket in
            let info = try socket.driverInfo("va")
            let shown = try ethtool(ns, "-i", "va")
            let lines = shown.split(separator: "\n")
            #expect(info.driver == "veth")
            #expect(lines.contains("driver: \(info.driver)"))
            #expect(lines.contains("version: \(info.version)"))
            #expect(lines.contains("bus-info: \(info.busInfo)"))
            let error = #expect(throws: NetlinkError.self) { try socket.driverInfo("nosuch0") }
            #expect(error?.description == "ETHTOOL_GDRVINFO nosuch0: No such device (ENODEV)")
        }
    }

    @Test("a device missing from the socket's namespace is ENODEV with the kernel's text")
    func missingDevice() throws {
        try withVethNamespace { _, socket in
            let error = #expect(throws: NetlinkError.self) { try socket.channels("nosuch0") }
            #expect(error?.errno == .noDevice)
            #expect(error?.kernelMessage == "no device matches name")
            #expect(error?.object == "nosuch0")
        }
    }

    @Test("the socket answers for the namespace it was created in, not the caller's")
    func boundToNamespace() throws {
        try withVethNamespace { ns, socket in
            // The test thread is in the host namespace, where "va" does not exist.
            let host = try EthtoolSocket(label: "host")
            #expect(!Files.exists("/sys/class/net/va"))
            let error = #expect(throws: NetlinkError.self) { try host.channels("va") }
            #expect(error?.errno == .noDevice)
            #expect(error?.object == "va in host")
            #expect(try socket.channels("va").rxMax == 4)
            // The other end lives there too and reads on its own.
            #expect(try socket.channels("vb").rxMax == 4)
            _ = ns
        }
    }
}

extension EthtoolTests {
    @Suite("ethtool request building")
    struct Requests {
        @Test("a SET carries the header and only the counts given")
        func channelsSetAttributes() throws {
            let request = try EthtoolRequest.setChannels("eth1", rx: 2, tx: nil, other: nil, combined: 8)
            #expect(request.command == 18)  // ETHTOOL_MSG_CHANNELS_SET in the uapi
            #expect(request.header == .nested(1, [.string(2, "eth1")]))
            // ETHTOOL_A_CHANNELS_RX_COUNT = 6, ETHTOOL_A_CHANNELS_COMBINED_COUNT = 9
            #expect(request.attributes == [.u32(6, 2), .u32(9, 8)])
        }

        @Test("a negative count is EINVAL before anything is sent")
        func negativeCount() throws {
            let error = #expect(throws: NetlinkError.self) {
                try EthtoolRequest.setRings("eth1", rx: -1, tx: nil, rxMini: nil, rxJumbo: nil)
            }
            #expect(error?.description == "ETHTOOL_MSG_RINGS_SET eth1: rx -1 is out of range 0…4294967295 (EINVAL)")
        }

        @Test("FEATURES_SET names the bit, sets VALUE only when on, and omits the reply")
        func featuresSetBitset() {
            let request = EthtoolRequest.setFeatures("eth1", ["rx-gro": false, "rx-gro-list": true])
            #expect(request.flags == 2)  // ETHTOOL_FLAG_OMIT_REPLY
            // ETHTOOL_A_FEATURES_WANTED 3 { ETHTOOL_A_BITSET_BITS 3 { _BITS_BIT 1 { _BIT_NAME 2, _BIT_VALUE 3 } } }
            let bits: [EthtoolAttribute] = [
                .nested(1, [.string(2, "rx-gro")]),
                .nested(1, [.string(2, "rx-gro-list"), .flag(3)]),
            ]
            #expect(request.attributes == [.nested(3, [.nested(3, bits)])])
        }

        @Test("coalescing booleans go as u8 0/1")
        func coalesceAttributes() throws {
            let request = try EthtoolRequest.setCoalesce("eth1", adaptiveRx: true, rxUsecs: 50, rxFrames: nil)
            // ETHTOOL_A_COALESCE_USE_ADAPTIVE_RX = 11, ETHTOOL_A_COALESCE_RX_USECS = 2
            #expect(request.attributes == [.u8(11, 1), .u32(2, 50)])
        }

        @Test("tx, adaptive tx and the irq variants go as their own attributes, in ethtool -c order")
        func coalesceTxAndIrq() throws {
            let request = try EthtoolRequest.setCoalesce("eth1", [.txFramesIrq: 3, .adaptiveTx: 1, .rxUsecsIrq: 8, .txUsecs: 100])
            // USE_ADAPTIVE_TX 12, RX_USECS_IRQ 4, TX_USECS 6, TX_MAX_FRAMES_IRQ 9
            #expect(request.attributes == [.u8(12, 1), .u32(4, 8), .u32(6, 100), .u32(9, 3)])
            #expect(throws: NetlinkError.self) { try EthtoolRequest.setCoalesce("eth1", [.txFrames: -1]) }
        }
    }
}
