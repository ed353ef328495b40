import PlumbEngine
import Testing

/// What a `kill -9` in the middle of an apply leaves (no rollback runs): the next plan
/// must find its way from there.
@Suite("Killed apply")
struct KilledApplyTests {
    /// The state a kill between a veth's creation and its peer's marking leaves: the host
    /// end carries the mark (its MAC from birth, then its alias), the peer in the container
    /// only its mark MAC from birth (no alias), down; the record lists both.
    func killedBetweenVethAndPeerMark() throws -> (World, Layer) {
        let w = World()
        let small = try layer(Manifests.small)
        try w.engine().apply(small)
        w.kernel.edit("eth0", in: .named("web")) { $0.alias = nil; $0.up = false }
        return (w, small)
    }

    @Test("the host end and its kernel-paired peer are the owner's: the next apply marks the peer and brings it up")
    func unmarkedPeerOfOurPair() throws {
        let (w, small) = try killedBetweenVethAndPeerMark()
        // The peer was born with the owner's mark MAC (the kernel takes no alias at
        // creation): the next plan knows it and only marks it and brings it up.
        let plan = try w.engine().plan(small)
        #expect(lines(plan).first?.hasPrefix("~ ip -n web link set dev eth0 alias") == true, "\(lines(plan))")
        try w.engine().apply(small)
        #expect(try w.engine().plan(small).converged)
    }
}
