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
