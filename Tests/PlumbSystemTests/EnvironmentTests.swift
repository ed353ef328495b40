import Foundation
import PlumbSystem
import Testing

@Suite("The process environment, read from environ")
struct EnvironmentTests {
    @Test("the same entries as the kernel's copy of the environment (/proc/self/environ), values with '=' whole")
    func matchesProc() throws {
        let raw = try Data(contentsOf: URL(fileURLWithPath: "/proc/self/environ"))
        var expected: [String: String] = [:]
        for entry in raw.split(separator: 0).map({ String(decoding: $0, as: UTF8.self) }) {
            guard let eq = entry.firstIndex(of: "=") else { continue }
            let name = String(entry[..<eq])
            if expected[name] == nil { expected[name] = String(entry[entry.index(after: eq)...]) }
        }
        #expect(!expected.isEmpty)
        let all = Environment.all()
        for (name, value) in expected { #expect(all[name] == value, "\(name)") }
        #expect(all.entries.count == raw.split(separator: 0).filter { $0.contains(UInt8(ascii: "=")) }.count)
        #expect(Environment.value("PATH") == expected["PATH"])
        #expect(Environment.value("PLUMB_SURELY_UNSET_\(UInt32.random(in: 0...UInt32.max))") == nil)
    }

    @Test("a name is looked up whole (PATH is not PATHX), the first entry of a name wins, set replaces all of it and nil removes it")
    func list() {
        var env = EnvironmentList(entries: ["PATHX=1", "PATH=/bin", "A==b=", "PATH=/usr/bin", "EMPTY="])
        #expect(env["PATH"] == "/bin" && env["PATHX"] == "1" && env["PAT"] == nil && env["A"] == "=b=" && env["EMPTY"] == "")
        env["PATH"] = "/sbin"
        #expect(env.entries == ["PATHX=1", "A==b=", "EMPTY=", "PATH=/sbin"])
        env["PATHX"] = nil
        #expect(env["PATHX"] == nil && env.entries == ["A==b=", "EMPTY=", "PATH=/sbin"])
        let literal: EnvironmentList = ["CNI_COMMAND": "ADD"]
        #expect(literal.entries == ["CNI_COMMAND=ADD"])
    }
}
