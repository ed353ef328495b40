import Foundation
import Testing
@testable import PlumbCommands

/// The version an IPAM plugin is handed, from the versions it answered VERSION with (cached
/// per plugin binary): the newest both sides speak, up to the configuration's own.
@Suite("IPAM version labelling")
struct IPAMVersionTests {
    static let debianHostLocal = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0"]

    func label(_ version: String, speaking theirs: [String]) throws -> String? {
        let config = Data(#"{"cniVersion": "\#(version)", "name": "n", "type": "host-local", "ranges": [[{"subnet": "10.99.0.0/16"}]]}"#.utf8)
        let out = try IPAM.labelled(config, speaking: theirs, plugin: "/usr/lib/cni/host-local")
        return (try JSONSerialization.jsonObject(with: out) as? [String: Any])?["cniVersion"] as? String
    }

    @Test("a 1.1.0 configuration goes to Debian's host-local (up to 1.0.0) as 1.0.0, its other keys untouched")
    func lowered() throws {
        #expect(try label("1.1.0", speaking: Self.debianHostLocal) == "1.0.0")
        let config = Data(#"{"cniVersion": "1.1.0", "ranges": [[{"subnet": "10.99.0.0/16"}]], "dataDir": "/run/x"}"#.utf8)
        let out = try JSONSerialization.jsonObject(with: IPAM.labelled(config, speaking: Self.debianHostLocal, plugin: "p")) as? [String: Any]
        #expect(out?["dataDir"] as? String == "/run/x")
        #expect((out?["ranges"] as? [[[String: String]]])?.first?.first?["subnet"] == "10.99.0.0/16")
    }

    @Test("a plugin that speaks the configuration's version gets it as it is, byte for byte")
    func asIs() throws {
        let config = Data(#"{"cniVersion":  "1.1.0", "x": 1}"#.utf8)
        #expect(try IPAM.labelled(config, speaking: ["1.0.0", "1.1.0"], plugin: "p") == config)
        #expect(try label("0.4.0", speaking: Self.debianHostLocal) == "0.4.0")
    }

    @Test("a gap in the plugin's list: the newest version below the configuration's that it does speak")
    func gap() throws {
        #expect(try label("0.4.0", speaking: ["0.3.1", "1.0.0"]) == "0.3.1")
    }

    @Test("no version in common: an incompatible-version error (code 1) naming what the plugin speaks")
    func none() throws {
        let error = #expect(throws: CNIError.self) { try label("0.4.0", speaking: ["1.0.0", "1.1.0"]) }
        #expect(error?.code == CNIError.incompatibleVersion)
        #expect(error?.details?.contains("1.0.0, 1.1.0") == true, "\(String(describing: error))")
    }
}

/// The labels are found by a scan of the configuration's text and replaced in place; what
/// the scan cannot read exactly goes the general way, with the same outcome.
@Suite("IPAM version labels scanned in place")
struct VersionLabelScanTests {
    static let hostLocal = IPAMVersionTests.debianHostLocal

    func relabelled(_ text: String) throws -> String {
        String(decoding: try IPAM.labelled(Data(text.utf8), speaking: Self.hostLocal, plugin: "p"), as: UTF8.self)
    }

    @Test("the configuration's and its prevResult's labels change; every other byte stays")
    func inPlace() throws {
        let text = #"{ "cniVersion" : "1.1.0", "args": {"cniVersion": "x,\"y}"}, "prevResult": {"ips": [{"address": "10.0.0.2/24"}], "cniVersion": "1.1.0"}, "n": [1, true, null, -2.5e3] }"#
        #expect(try relabelled(text) == text.replacingOccurrences(of: #""1.1.0""#, with: #""1.0.0""#))
        #expect(VersionLabels.find(Array(text.utf8)) != nil, "this text is scanned, not decoded")
    }

    @Test("what the scan declines — an escaped key, a prevResult without a label — is relabelled all the same",
          arguments: [
              #"{"cni\u0056ersion": "1.1.0", "name": "n"}"#,
              #"{"cniVersion": "1.1.0", "prevResult": {"ips": []}}"#,
          ])
    func declined(_ text: String) throws {
        #expect(VersionLabels.find(Array(text.utf8)) == nil)
        let out = try JSONSerialization.jsonObject(with: Data(try relabelled(text).utf8)) as? [String: Any]
        #expect(out?["cniVersion"] as? String == "1.0.0")
        if let p = out?["prevResult"] as? [String: Any] { #expect(p["cniVersion"] as? String == "1.0.0") }
    }

    @Test("a key given twice, nesting left open, text after the object: declined",
          arguments: [#"{"cniVersion": "1.1.0", "cniVersion": "0.4.0"}"#, #"{"cniVersion": "1.1.0", "a": [1, {"b": 2]"#,
                      #"{"cniVersion": "1.1.0"} {}"#, #"["cniVersion"]"#, #"{"cniVersion": 1}"#, #"{"a": , "cniVersion": "1.1.0"}"#])
    func malformed(_ text: String) {
        #expect(VersionLabels.find(Array(text.utf8)) == nil)
    }
}
