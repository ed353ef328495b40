import PlumbEngine
import PlumbNetlink
import PlumbSystem
import PlumbTypes
import Testing

/// A failed apply leaves the kernel exactly as it found it, and the record store too,
/// wherever it fails: at every step of the mixed manifest (namespaces, bridge, veths,
/// a VF moved into a container, addresses, routes, NAT, SR-IOV, tuning, IRQs, sysctls).
@Suite("Rollback at every step")
struct RollbackTests {
    let mixed: Layer
    let reference: StepOperations

    init() throws {
        mixed = try layer(Manifests.mixed)
        reference = try StepOperations(mixed) { .standard() }
    }

    @Test("the mixed manifest's plan has a step of every kind the rollback must undo")
    func coverage() {
        let kinds = Set(reference.entries.map(\.step.action.name))
        #expect(kinds.isSuperset(of: ["set-sysctl", "set-numvfs", "set-vf", "set-rings", "set-channels", "set-coalesce",
                                      "set-offload", "set-irq-affinity", "create-netns", "create-bridge", "create-veth",
                                      "move-vf", "add-address", "add-route", "replace-nft-table"]))
        #expect(reference.entries.allSatisfy { !$0.operations.isEmpty })
    }

    /// Applies with `arm` done to a fresh kernel, expects the apply to fail at step `k`,
    /// and the kernel and record store to be as they were.
    func expectRolledBack(at k: Int, _ what: String, faultStep: Int? = nil, arm: (FakeKernel) -> Void = { _ in }) {
        let w = World(.standard())
        let before = w.kernel.snapshot(), records = w.recordFiles()
        arm(w.kernel)
        let error = #expect(throws: ApplyError.self, "\(what)") { try w.engine(faultStep: faultStep).apply(mixed) }
        #expect(error?.stepNumber == k, "\(what)")
        let cause = error.map { "\($0.cause)" } ?? ""
        #expect(faultStep != nil || cause.contains("ENOBUFS") || cause.contains("No buffer space"), "\(what): the cause is \(cause)")
        #expect(error?.undoFailures.isEmpty == true, "\(what): \(error?.undoFailures ?? [])")
        expectSame(w.kernel.snapshot(), before, what)
        #expect(w.recordFiles() == records, "\(what)")
        #expect(w.kernel.pendingFaults.isEmpty, "\(what): the armed fault was never reached")
    }

    @Test("Engine.faultStep at every step k = 1…N: kernel and records as before")
    func faultStepAtEveryStep() {
        for (i, e) in reference.entries.enumerated() {
            expectRolledBack(at: i + 1, "faultStep \(i + 1) (\(e.step.summary))", faultStep: i + 1)
        }
    }

    @Test("the kernel refuses any one operation of step k (the first, or one after the step's first changes took), for every k")
    func kernelRefusesEachOperation() throws {
        var tolerated: [String] = []
        for (i, e) in reference.entries.enumerated() {
            for (n, op) in e.operations.enumerated() {
                let what = "\(op.name) (operation \(n + 1) of \(e.operations.count)) refused at step \(i + 1) (\(e.step.action.name))"
                let w = World(.standard())
                w.kernel.fail(op.name, with: .noBufferSpace, skip: op.skip)
                if (try? w.engine().apply(mixed)) != nil {
                    // The engine worked around this refusal: the apply must then be complete.
                    tolerated.append(what)
                    #expect(try w.engine().plan(mixed).converged, "\(what)")
                    continue
                }
                expectRolledBack(at: i + 1, what) { $0.fail(op.name, with: .noBufferSpace, skip: op.skip) }
            }
        }
        // Only the VF-side request for the PF-assigned MAC has a fallback (down and up
        // again: igbvf takes the assigned MAC at reset).
        let move = try #require(reference.entries.firstIndex { $0.step.action.name == "move-vf" })
        #expect(tolerated == ["setLink (operation 3 of 5) refused at step \(move + 1) (move-vf)"])
    }

    @Test("a VF setting refused half way (mac, vlan and spoofchk took, trust refused) is fully undone")
    func vfSettingRefusedHalfWay() throws {
        let w = World(.standard(numVFs: 2))   // VFs already there: nothing destroys them on the way back
        let before = w.kernel.snapshot(), original = w.kernel.pfs["eth1"]!.settings
        w.kernel.fail("setVF:trust", with: .notSupported)
        let error = #expect(throws: ApplyError.self) { try w.engine().apply(mixed) }
        let refusal = try #require(error?.cause as? VFSettingError)
        #expect(refusal.setting == .trust(true))
        #expect(refusal.applied == [.mac(MACAddress("02:00:00:00:00:10")!), .vlan(VFVLAN(id: 12)), .spoofCheck(false)])
        #expect("\(error!)".contains("driver igb cannot set VF trust"))
        // The three settings reached the kernel, then their undo (all four, back to the old values) did.
        #expect(w.kernel.log.filter { $0.hasPrefix("setVF:") }
                == ["setVF:mac", "setVF:vlan", "setVF:spoofchk", "setVF:trust", "setVF:mac", "setVF:vlan", "setVF:spoofchk", "setVF:trust"])
        #expect(w.kernel.pfs["eth1"]!.settings == original)
        expectSame(w.kernel.snapshot(), before, "after the refused trust")
        #expect(w.recordFiles().isEmpty)
    }
}
