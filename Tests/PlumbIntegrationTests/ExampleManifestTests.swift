import Foundation
import Testing

/// the README's manifest reference: example manifests are tested — each applies, verifies, re-plans to nothing
/// and destroys cleanly. Only the ones a sandbox can hold (no NICs, no SR-IOV) are listed.
@Suite("Example manifests", .timeLimit(.minutes(10)))
struct ExampleManifestTests {
    @Test("applies, verifies, plans nothing, destroys clean", arguments: ["demo.yaml", "nat.yaml", "macvlan.yaml", "dual-stack.yaml", "policy-routing.yaml"])
    func lifecycle(file: String) throws {
        let path = PlumbBinary.packageRoot.appendingPathComponent("manifests/\(file)").path
        let text = try #require(try? String(contentsOfFile: path, encoding: .utf8), "cannot read \(path)")
        let name = manifestName(text, file: file)
        let sandbox = try Sandbox()

        try sandbox.applyOrFail(path)
        let verify = try sandbox.plumb("verify", path, "--output", "json")
        let report = try verify.decode(VerifyReport.self)
        // The failing rows first: the whole report is long, and a log cuts it.
        #expect(verify.status == 0 && report.ok, "failing: \(report.failures)\n\(verify)")
        try sandbox.expectConverged(path)

        let destroy = try sandbox.plumb("destroy", path)
        #expect(destroy.status == 0, "\(destroy)")
        try sandbox.expectPristine(manifest: name)
    }

    /// The top-level `name:` (unquoted or quoted), else the file name without extension.
    private func manifestName(_ text: String, file: String) -> String {
        for line in text.split(separator: "\n") where line.hasPrefix("name:") {
            let value = line.dropFirst(5).split(separator: "#").first ?? ""
            return value.trimmingCharacters(in: CharacterSet(charactersIn: " \t\"'"))
        }
        return (file as NSString).deletingPathExtension
    }
}
