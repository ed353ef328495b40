import PlumbEngine
import Testing

/// `sriov.persist` writes /etc/modprobe.d/plumb-igb.conf; a failed apply and destroy put
/// the file back as it was — absent, or an administrator's text.
@Suite("Persisted VF count")
struct ModprobeTests {
    let persist: Layer
    init() throws {
        persist = try layer("version: 1\nname: keep\nnics: [{name: eth1, sriov: {numVFs: 2, persist: true}}]\n")
    }

    @Test("apply writes the option; destroy puts the file back as it was (absent, or the administrator's options)",
          arguments: [nil, "options igb debug=1\n"])
    func writeAndRestore(existing: String?) throws {
        let w = World()
        w.kernel.files[.igbMaxVFs] = existing
        let before = w.kernel.snapshot()
        let plan = try w.engine().apply(persist)
        #expect(lines(plan).contains("~ echo 'options igb max_vfs=2' > /etc/modprobe.d/plumb-igb.conf"))
        let text = try #require(w.kernel.files[.igbMaxVFs])
        #expect(text.contains(existing == nil ? "options igb max_vfs=2" : "options igb debug=1 max_vfs=2"))
        #expect(try w.engine().plan(persist).converged)
        try w.engine().destroy(persist.owner)
        expectSame(w.kernel.snapshot(), before, "after destroy")
    }

    @Test("a failure after the write puts the file back as it was", arguments: [nil, "options igb debug=1\n"])
    func rollback(existing: String?) throws {
        let w = World()
        w.kernel.files[.igbMaxVFs] = existing
        let l = try layer("version: 1\nname: keep\nnics: [{name: eth1, sriov: {numVFs: 2, persist: true, vfs: [{index: 0, vlan: 5}]}}]\n")
        let before = w.kernel.snapshot()
        let names = try w.engine().plan(l).steps.map(\.action.name)
        #expect(names == ["set-numvfs", "persist-max-vfs", "set-vf"])
        let error = #expect(throws: ApplyError.self) { try w.engine(faultStep: 3).apply(l) }
        #expect(error?.undoFailures.isEmpty == true)
        expectSame(w.kernel.snapshot(), before, "after the rollback")
    }

    @Test("destroy leaves the file alone once someone removed the option from it")
    func editedSince() throws {
        let w = World()
        try w.engine().apply(persist)
        w.kernel.files[.igbMaxVFs] = "options igb debug=3\n"
        let plan = try w.engine().destroy(persist.owner)
        #expect(!plan.steps.contains { $0.action.name == "persist-max-vfs" })
        #expect(w.kernel.files[.igbMaxVFs] == "options igb debug=3\n")
    }
}
