import PlumbEngine
import Testing

/// A create killed before its bind mount leaves a plain file; destroy removes it through
/// the kernel seam (never by reaching around it into the machine's /run/netns).
@Suite("Killed namespace creation")
struct KilledCreateTests {
    @Test("destroy removes the placeholder a killed create of this owner left, and no other")
    func destroyRemovesOwnPlaceholder() throws {
        let w = World()
        let small = try layer(Manifests.small)
        w.kernel.placeholders = ["web", "someones"]
        var killed = Record(owner: small.owner)
        killed.namespaces = [NamespaceEntry(ref: .named("web"), identity: nil, created: true)]
        try w.store.save(killed)
        let plan = try w.engine().destroy(small.owner)
        #expect(plan.steps.isEmpty)
        #expect(w.kernel.placeholders == ["someones"])
        #expect(w.recordFiles().isEmpty)
    }
}
