import PlumbEngine
import Testing

/// A whole apply and destroy of the mixed manifest on the standard fake host.
@Suite("Apply and destroy round trip")
struct ApplyTests {
    @Test("applying twice: the second plan is empty and the second apply changes nothing")
    func applyTwice() throws {
        let w = World()
        let l = try layer(Manifests.mixed)
        let first = try w.engine().apply(l)
        #expect(!first.converged)
        let applied = w.kernel.snapshot(), record = w.recordFiles()
        #expect(try w.engine().plan(l).steps.map(\.summary) == [])
        let second = try w.engine().apply(l)
        #expect(second.converged)
        expectSame(w.kernel.snapshot(), applied, "the second apply")
        #expect(w.recordFiles() == record)
    }

    @Test("destroy after apply puts the kernel back exactly as it was and removes the record")
    func destroyRestoresEverything() throws {
        let w = World()
        let l = try layer(Manifests.mixed)
        let before = w.kernel.snapshot()
        try w.engine().apply(l)
        #expect(w.recordFiles().count == 1)
        let plan = try w.engine().destroy(l.owner)
        #expect(!plan.converged)
        expectSame(w.kernel.snapshot(), before, "after destroy")
        #expect(w.recordFiles().isEmpty)
        #expect(try w.engine().destroy(l.owner).converged)
    }
}
