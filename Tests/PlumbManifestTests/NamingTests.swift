import Foundation
import Testing
@testable import PlumbManifest

/// Derived names, source lines, and the user-facing text of errors.

@Test func shortVethHostNameIsReadable() {
    #expect(vethHostName(container: "web", interface: "eth0") == "web-eth0")
    #expect(vethHostName(container: "abcdefghij", interface: "eth0") == "abcdefghij-eth0")
}

@Test func longVethHostNameIsAStableHash() {
    // Expected values computed independently (FNV-1a 64 of "frontend-proxy/eth0" = e65793720fe3326c).
    #expect(fnv1a64("a") == 0xaf63_dc4c_8601_ec8c)
    let name = vethHostName(container: "frontend-proxy", interface: "eth0")
    #expect(name == "ple65793720fe33")
    #expect(name.utf8.count == 15)
    #expect(vethHostName(container: "frontend-proxy", interface: "eth1") == "ple65794720fe33")
    #expect(vethHostName(container: "abcdefghijk", interface: "eth0").utf8.count == 15)
}

@Test func effectiveHostNamePrefersTheGivenOne() {
    let c = Container(name: "web", netns: .named("web"), interfaces: [
        Interface(name: "eth0", kind: .veth(bridge: "br0", hostName: nil)),
        Interface(name: "eth1", kind: .veth(bridge: "br0", hostName: "uplink0")),
        Interface(name: "eth2", kind: .vf(nic: "eth1", index: 0)),
    ])
    #expect(c.interfaces.map { c.hostName(of: $0) } == ["web-eth0", "uplink0", nil])
}

@Test func derivedHostNamesThatCollideAreReported() {
    let yaml = """
    version: 1
    bridges: [{name: br0}]
    containers:
      - name: a-b
        netns: ab
        interfaces: [{name: c, veth: {bridge: br0}}]
      - name: a
        netns: a
        interfaces: [{name: b-c, veth: {bridge: br0}}]
    """
    #expect(problems(yaml) == [
        "containers[1].interfaces[0].veth: derived host interface name a-b-c is already used by the host end of interface c of container a-b at line 6; set veth.hostName (line 9)",
    ])
}

@Test func sourceLinesFallBackToTheNearestAncestor() {
    let lines = SourceLines(["containers[0]": 12, "containers[0].interfaces[1]": 20])
    #expect(lines.line(of: "containers[0].interfaces[1].veth.bridge") == 20)
    #expect(lines.line(of: "containers[0].routes[3].via") == 12)
    #expect(lines.line(of: "containers[0]") == 12)
    #expect(lines.line(of: "bridges[0].name") == nil)
}

@Test func diagnosticText() {
    #expect(ManifestDiagnostic(path: "containers[1].interfaces[0].addresses[0]", line: 14,
                               message: "\"10.88.0.300/16\" is not an IPv4 or IPv6 prefix").description
            == "containers[1].interfaces[0].addresses[0]: \"10.88.0.300/16\" is not an IPv4 or IPv6 prefix (line 14)")
    #expect(ManifestDiagnostic(path: "name", line: nil, message: "bad").description == "name: bad")
    #expect(ManifestDiagnostic(path: "", line: 3, message: "invalid YAML: x").description == "invalid YAML: x (line 3)")
}

@Test func errorTextCountsAndSortsByLine() {
    let error = ManifestError(file: "web.yaml", diagnostics: [
        ManifestDiagnostic(path: "b", line: 9, message: "second"),
        ManifestDiagnostic(path: "a", line: 2, message: "first"),
    ])
    #expect(error.description == "web.yaml: 2 errors\n  a: first (line 2)\n  b: second (line 9)")
    #expect(ManifestError(file: "x", diagnostics: [ManifestDiagnostic(path: "a", line: nil, message: "m")]).description
            == "x: 1 error\n  a: m")
}

@Test func loaderErrorTextListsEveryMistake() {
    do {
        _ = try ManifestLoader.parse("version: 3\nbridges: [{name: br0, mtu: x}]\n", file: "lab.yaml", defaultName: "lab")
        Issue.record("loaded")
    } catch let error as ManifestError {
        #expect(error.description == """
        lab.yaml: 2 errors
          version: unsupported version 3; this plumb reads version 1 (line 1)
          bridges[0].mtu: expected an integer, got "x" (line 2)
        """)
    } catch {
        Issue.record("\(error)")
    }
}

@Test func hookManifestMayLeaveNetnsOut() {
    let yaml = "version: 1\ncontainers: [{name: web}]\n"
    #expect(problems(yaml, requireNetns: false) == [])
    #expect(problems(yaml) == ["containers[0].netns: missing: give a name, {pid: N} or {path: ...} (only the OCI hook may leave it out) (line 2)"])
}

@Test func validatorChecksAModelBuiltInCode() {
    let m = Manifest(name: "ok", bridges: [Bridge(name: "br0"), Bridge(name: "br0")],
                     containers: [Container(name: "web", netns: nil)])
    #expect(Validator.validate(m, requireNetns: false).map(\.description)
            == ["bridges[1].name: bridge br0 is already declared at bridges[0].name"])
}

// MARK: Files

/// A private temporary directory for one test.
func scratchDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plumb-manifest-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

@Test func loadTakesTheNameFromTheFile() throws {
    let dir = try scratchDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("My Lab_2.yaml")
    try "version: 1\n".write(to: file, atomically: true, encoding: .utf8)
    #expect(try ManifestLoader.load(path: file.path).name == "my-lab_2")
}

@Test func loadRejectsAFileNameThatMakesNoName() throws {
    let dir = try scratchDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("-lab.yaml")
    try "version: 1\n".write(to: file, atomically: true, encoding: .utf8)
    #expect(throws: ManifestError.self) { try ManifestLoader.load(path: file.path) }
    do { _ = try ManifestLoader.load(path: file.path) } catch let e as ManifestError {
        #expect(e.diagnostics.map(\.description) == [
            "name: \"-lab\" (from the file name) is not a valid manifest name (1-32 of a-z 0-9 . _ -, starting with a letter or digit); add a name: key",
        ])
    }
    try "name: lab\nversion: 1\n".write(to: file, atomically: true, encoding: .utf8)
    #expect(try ManifestLoader.load(path: file.path).name == "lab")
}

@Test func unreadableFilesAreOneDiagnostic() throws {
    let dir = try scratchDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let missing = dir.appendingPathComponent("none.yaml").path
    do { _ = try ManifestLoader.load(path: missing); Issue.record("loaded") } catch let e as ManifestError {
        #expect(e.description == "\(missing): 1 error\n  cannot read the file: it does not exist")
    }
    do { _ = try ManifestLoader.load(path: dir.path); Issue.record("loaded") } catch let e as ManifestError {
        #expect(e.diagnostics.map(\.message) == ["cannot read the file: it is a directory"])
    }
}
