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
        #expect(Environment.all() == expected)
        #expect(Environment.value("PATH") == expected["PATH"])
        #expect(Environment.value("PLUMB_SURELY_UNSET_\(UInt32.random(in: 0...UInt32.max))") == nil)
    }
}
