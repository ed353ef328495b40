import PlumbTypes
import Testing
@testable import PlumbManifest

/// `nics[].sriov.eswitchMode` as a user writes it.
@Suite("Manifest: eswitch mode")
struct EswitchManifestTests {
    func yaml(_ mode: String) -> String {
        "version: 1\nnics:\n  - name: eth1\n    sriov:\n      numVFs: 2\n      eswitchMode: \(mode)\n"
    }

    @Test("legacy and switchdev decode; absent leaves the mode alone")
    func decodes() throws {
        for mode in EswitchMode.allCases {
            #expect(try ManifestLoader.parse(yaml(mode.rawValue), defaultName: "t").nics[0].sriov?.eswitchMode == mode)
        }
        let m = try ManifestLoader.parse("version: 1\nnics: [{name: eth1, sriov: {numVFs: 1}}]\n", defaultName: "t")
        #expect(m.nics[0].sriov?.eswitchMode == nil)
    }

    @Test("a mode devlink does not have is refused with path and line")
    func refused() {
        #expect(problems(yaml("switchdev-mode")) == [
            #"nics[0].sriov.eswitchMode: expected one of legacy, switchdev, got "switchdev-mode" (line 6)"#])
        #expect(problems(yaml("Switchdev")).count == 1, "case matters, as for devlink")
    }
}
