import Foundation
import PlumbJSON
import PlumbTypes

/// One IPAM ADD, from its start to the addresses it gave — or to their release when
/// anything after it fails. Addresses asked for in runtimeConfig.ips that the plugin did
/// not give are an error, not a silent substitute: a pod's static address that is lost is
/// a pod on the wrong address.
final class IPAMAdd {
    let run: CNIRun
    /// nil: a VF network without IPAM.
    let type: String?
    let pending: IPAM.Pending?
    private enum State { case running, leased, settled }
    /// `leased` once the plugin answered; `settled` once released (or failed: nothing to release).
    private var state = State.running

    init(run: CNIRun, type: String?, pending: IPAM.Pending?) {
        self.run = run; self.type = type; self.pending = pending
    }

    /// Waits for the plugin and reads its result. A result that is no CNI result, or lacks
    /// an address asked for, is released at once.
    func finish() throws -> CNIResult {
        guard let type, let pending else { return CNIResult(cniVersion: run.config.cniVersion) }
        let result: CNIResult
        do {
            let answer: Data
            do { answer = try pending.answer() } catch { state = .settled; throw error }
            state = .leased
            result = try JSONDecoding.decode(CNIResult.self, from: answer)
        } catch let e as CNIError {
            throw e
        } catch {
            releaseLease()
            throw CNIError(CNIError.ipamFailed, "IPAM plugin \(type) gave no CNI result", details: describeDecoding(error))
        }
        let given = Set((result.ips ?? []).compactMap { IPPrefix($0.address, allowBare: true)?.address })
        let missing = run.config.runtime.ips.filter { !given.contains($0) }
        if !missing.isEmpty {
            releaseLease()
            throw CNIError(CNIError.ipamFailed, "runtimeConfig.ips: IPAM plugin \(type) did not give \(missing.map(\.description).joined(separator: ", "))",
                           details: "it gave \(given.map(\.description).sorted().joined(separator: ", ")); host-local and static take runtimeConfig.ips when the configuration declares the capability \"ips\"")
        }
        return result
    }

    /// After a failure elsewhere: the plugin is waited for first (a DEL must not race its
    /// ADD), then what it gave is released.
    func release() {
        if state == .running, let pending { state = (try? pending.answer()) != nil ? .leased : .settled }
        releaseLease()
    }

    private func releaseLease() {
        guard state == .leased, let type else { return }
        state = .settled
        _ = try? IPAM.run(command: "DEL", config: run.input, type: type, env: run.env)
    }
}
