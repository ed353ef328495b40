import Foundation
import PlumbEngine
import Testing

/// A record read again is decoded again only when its file changed; whatever changed it
/// — another process's save, an edit in place, a planted link, garbage — is seen.
@Suite struct RecordMemoTests {
    static func record(users: [String]) -> Record {
        var r = Record(owner: .cniNetwork("net1"))
        r.users = users.map { OwnerID(.cniAttachment(network: "net1", containerID: $0, ifname: "eth0")) }
        return r
    }

    @Test("a record saved by another process (a store of its own) is read as that process wrote it")
    func anotherWriter() throws {
        let w = World()
        let owner = Owner.cniNetwork("net1")
        try w.store.save(Self.record(users: ["a"]))
        #expect(try w.store.load(owner)?.users.count == 1)
        let other = RecordStore(directory: w.directory)
        try other.save(Self.record(users: ["a", "b"]))
        #expect(try w.store.load(owner)?.users.count == 2, "the first store read its own earlier record")
        try other.remove(owner.id)
        #expect(try w.store.load(owner) == nil, "a removed record was still read")
    }

    @Test("a record file edited in place, replaced by a symbolic link, or by garbage is read as it now is")
    func changedInPlace() throws {
        let w = World()
        let owner = Owner.cniNetwork("net1")
        try w.store.save(Self.record(users: ["a", "b"]))
        #expect(try w.store.load(owner)?.users.count == 2)
        let path = w.store.path(owner.id)
        // In place: the same inode, rewritten with a record of one user.
        let elsewhere = World()
        try elsewhere.store.save(Self.record(users: ["a"]))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: elsewhere.store.path(owner.id)))
        let fd = open(path, O_WRONLY | O_TRUNC)
        #expect(fd >= 0)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        #expect(try w.store.load(owner)?.users.count == 1, "the record as it was before the edit was read")
        try "{\"schema\": 1, \"garbage\": true}".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(throws: (any Error).self) { try w.store.load(owner) }
        unlink(path)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "/etc/hostname")
        #expect(throws: (any Error).self) { try w.store.load(owner) }
    }

    @Test("the record a store just saved is what it reads back")
    func ownWrite() throws {
        let w = World()
        let owner = Owner.cniNetwork("net1")
        let r = Self.record(users: ["a", "b", "c"])
        try w.store.save(r)
        #expect(try w.store.load(owner) == r)
        #expect(try w.store.load(owner) == r)
    }
}
