import Foundation
import Testing

/// Issue "Must show" 3, second half: a failure mid-apply leaves the kernel as it was.
@Suite("Rollback", .timeLimit(.minutes(10)))
struct RollbackTests {
    @Test("a route the kernel refuses: exit 1 naming object and errno, and everything apply made is gone")
    func kernelRefusalRollsBack() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Manifests.rollbackTrio)

        let apply = try sandbox.plumb("apply", manifest)
        #expect(apply.status == 1, "\(apply)")
        // A kernel error, not a validation error: it names the netlink operation, the
        // object (the gateway) and an errno name, e.g. "… RTM_NEWROUTE default via … (EINVAL)".
        #expect(apply.stderr.contains("RTM_NEWROUTE"), "\(apply)")
        #expect(apply.stderr.contains("10.88.255.255"), "\(apply)")
        #expect(apply.stderr.firstMatch(of: /\(E[A-Z0-9]+\)/) != nil, "no errno name in parentheses:\n\(apply)")
        try sandbox.expectPristine(manifest: "rollback")
    }

    @Test("an injected failure at step 3 (PLUMB_FAULT_STEP=3): exit 1 and nothing left behind")
    func injectedFaultRollsBack() throws {
        let sandbox = try Sandbox()
        let manifest = try sandbox.writeManifest(Manifests.trio)

        let apply = try sandbox.plumb("apply", manifest, environment: ["PLUMB_FAULT_STEP": "3"])
        #expect(apply.status == 1, "\(apply)")
        #expect(apply.stderr.contains("injected fault"), "\(apply)")
        try sandbox.expectPristine(manifest: "trio")
    }
}
