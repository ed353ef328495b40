@testable import PlumbEngine
import PlumbNetlink
import PlumbTypes
import Testing

/// A link is this owner's only when it carries the owner's mark and the record lists
/// it: a name alone never is. Refused links make the plan fail before any change, and
/// destroy leaves them where they are.
@Suite("Link ownership")
struct LinkOwnershipTests {
    let small: Layer
    init() throws { small = try layer(Manifests.small) }

    @Test("a bridge re-created by someone else under the recorded name is refused by the planner and never deleted by destroy")
    func foreignLinkUnderRecordedName() throws {
        let w = World()
        try w.engine().apply(small)
        w.kernel.deleteLink("br0")
        let foreign = w.kernel.addLink("br0", kind: "bridge")
        let refusal = #expect(throws: PlanErrors.self) { try w.engine().plan(small) }
        #expect(refusal?.description == "bridges[0].name: br0 in the host namespace is in the record of manifest small but no longer carries its mark (alias none): it was deleted and re-created by someone else; plumb leaves it alone (line 3)")
        let before = w.kernel.snapshot()
        #expect(throws: PlanErrors.self) { try w.engine().apply(small) }
        expectSame(w.kernel.snapshot(), before, "a refused apply")

        let destroy = try w.engine().destroy(small.owner)
        #expect(w.kernel.link(foreign)?.name == "br0")
        #expect(!destroy.steps.contains { $0.action.object == "br0" })
        #expect(destroy.notes == ["br0 left alone: it no longer carries plumb's mark (alias none)"])
        #expect(w.recordFiles().isEmpty)
    }

    @Test("links with the names the manifest wants and no record are refused, every one, naming its alias")
    func unrecordedLinksWithOurNames() throws {
        let w = World()
        w.kernel.addLink("br0", kind: "bridge")
        w.kernel.addLink("web-eth0", kind: "veth", alias: "someone-else")
        let before = w.kernel.snapshot()
        let refusal = #expect(throws: PlanErrors.self) { try w.engine().apply(small) }
        #expect(refusal?.errors.map(\.description) == [
            "bridges[0].name: br0 already exists in the host namespace and was not created by plumb for manifest small; rename it in the manifest or remove it (line 3)",
            "containers[0].interfaces[0].veth.hostName: web-eth0 already exists in the host namespace and was not created by plumb for manifest small (alias \"someone-else\"); rename it in the manifest or remove it (line 7)",
        ])
        expectSame(w.kernel.snapshot(), before, "a refused apply")
        #expect(w.recordFiles().isEmpty)
    }

    @Test("a link carrying another owner's mark is refused as that owner's")
    func anotherOwnersMark() throws {
        let w = World()
        let other = Marks(.manifest(ManifestIdentity(name: "other", source: nil)))
        w.kernel.addLink("br0", kind: "bridge", alias: other.alias)
        let refusal = #expect(throws: PlanErrors.self) { try w.engine().plan(small) }
        #expect(refusal?.description == "bridges[0].name: br0 already exists in the host namespace and belongs to another plumb owner (alias \"\(other.alias)\"); rename it in the manifest (line 3)")
    }

    @Test("the applier re-reads a link before deleting it: one that took another owner's mark since the plan is refused")
    func applierChecksTheMarkAgain() throws {
        let w = World()
        try w.engine().apply(small)
        let br0 = try #require(w.kernel.id(of: "br0"))
        let other = Marks(.manifest(ManifestIdentity(name: "other", source: nil)))
        w.kernel.edit("br0") { $0.alias = other.alias }
        let deletion = Action.deleteLink(LinkDeletion(link: LinkRef("br0", index: br0.index), proof: .owner(alias: small.marks.alias, mac: nil)))
        let refusal = #expect(throws: OwnershipError.self) { try Applier(kernel: w.kernel).execute(deletion) }
        #expect(refusal?.description.contains("it does not carry plumb's mark") == true)
        #expect(w.kernel.link(br0) != nil)
    }
}
