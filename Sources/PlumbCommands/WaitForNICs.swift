import Foundation
import PlumbEngine
import PlumbManifest

/// `apply --wait-for-nics SECONDS`: at boot, plumb.service may start before udev has
/// bound the NIC drivers; a manifest applied then would fail on a missing PF. Wait until
/// every NIC the manifests name has a netdev (found by name, PCI address or MAC, as the
/// manifest selects it), or say which are missing and go on: the apply then reports them
/// as the errors they are, and the manifests that need no missing NIC still apply.
///
/// Looks every 100 ms: this runs once at boot, for seconds at most.
func waitForNICs(of set: ManifestSet, seconds: Double, engine: Engine) {
    let selectors = set.entries.compactMap { try? $0.loaded.get() }.flatMap { $0.manifest.nics.map(\.selector) }
    guard !selectors.isEmpty else { return }
    let deadline = Date().addingTimeInterval(seconds)
    var missing = selectors.filter { !engine.nicPresent($0) }
    if !missing.isEmpty { printErr("plumb: waiting up to \(Int(seconds)) s for NICs: \(missing.map(text).joined(separator: ", "))") }
    while !missing.isEmpty && Date() < deadline {
        usleep(100_000)
        missing = missing.filter { !engine.nicPresent($0) }
    }
    if !missing.isEmpty {
        printErr("plumb: error: after \(Int(seconds)) s these NICs have no network interface (driver not bound?): "
                 + missing.map(text).joined(separator: ", ") + "; the manifests naming them will fail")
    }
}

private func text(_ s: NIC.Selector) -> String {
    switch s {
    case .name(let n): return n
    case .pci(let a): return "pci \(a)"
    case .mac(let m): return "mac \(m)"
    }
}
