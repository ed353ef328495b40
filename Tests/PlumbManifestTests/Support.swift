import Testing
@testable import PlumbManifest

/// Shared helpers: tests compare what a user reads, the diagnostics' text.

/// The diagnostics a user would see for `yaml`, one line each; [] when it loads.
func problems(_ yaml: String, requireNetns: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
    do {
        _ = try ManifestLoader.parse(yaml, file: "test.yaml", defaultName: "test", requireNetns: requireNetns)
        return []
    } catch let error as ManifestError {
        return error.diagnostics.map(\.description)
    } catch {
        Issue.record("unexpected error type: \(error)", sourceLocation: sourceLocation)
        return []
    }
}

/// Loads `yaml`, recording an issue (with the diagnostics) when it does not load.
func load(_ yaml: String, requireNetns: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) -> Manifest? {
    do {
        return try ManifestLoader.parse(yaml, file: "test.yaml", defaultName: "test", requireNetns: requireNetns)
    } catch {
        Issue.record("did not load: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// A valid manifest to put one mistake into: a bridge, a veth container and a VF container.
/// Line numbers below are those of this text.
let base = """
version: 1
nics:
  - name: eth1
    sriov:
      numVFs: 7
      vfs:
        - {index: 0, vlan: 12}
bridges:
  - name: br0
    addresses: [10.88.0.1/16]
containers:
  - name: web
    netns: web
    interfaces:
      - name: eth0
        veth: {bridge: br0}
        addresses: [10.88.0.2/16]
    routes:
      - {to: default, via: 10.88.0.1}
  - name: db
    netns: {pid: 1234}
    interfaces:
      - name: eth1
        vf: {nic: eth1, index: 0}
        addresses: [10.217.121.107/21]
    routes:
      - {to: default, via: 10.217.120.1}

"""

/// `base` with the first occurrence of `old` replaced by `new`.
func base(replacing old: String, with new: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
    guard let r = base.range(of: old) else {
        Issue.record("\(old) not in base", sourceLocation: sourceLocation)
        return base
    }
    return base.replacingCharacters(in: r, with: new)
}
