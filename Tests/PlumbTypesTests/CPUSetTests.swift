import Testing
@testable import PlumbTypes

@Suite("CPU lists")
struct CPUSetTests {
    @Test("parses the kernel's forms", arguments: [
        ("0", [0]),
        ("0-3", [0, 1, 2, 3]),
        ("0-3,5", [0, 1, 2, 3, 5]),
        ("5,0-1", [0, 1, 5]),
        ("0-1\n", [0, 1]),              // sysfs ends with a newline
        ("2,2,1-2", [1, 2]),            // duplicates collapse
        ("", []),                        // /sys/devices/system/cpu/offline when none are
        ("\n", []),
    ])
    func parses(text: String, cpus: [Int]) throws {
        #expect(try CPUSet(parsing: text).cpus == cpus)
    }

    @Test("prints the canonical list", arguments: [
        ([0, 1, 2, 3, 5], "0-3,5"),
        ([0], "0"),
        ([0, 1], "0-1"),
        ([1, 3, 5], "1,3,5"),
        ([7, 0, 6, 1], "0-1,6-7"),
        ([], ""),
    ])
    func prints(cpus: [Int], text: String) {
        #expect(CPUSet(cpus).description == text)
    }

    @Test("print then parse gives the same set")
    func roundTrip() throws {
        let set: CPUSet = [0, 2, 3, 4, 9, 10, 63]
        #expect(set.description == "0,2-4,9-10,63")
        #expect(try CPUSet(parsing: set.description) == set)
    }

    @Test("rejects what the kernel would reject, saying why", arguments: [
        ("3-1", "CPU list \"3-1\": range \"3-1\" ends below its start"),
        ("a", "CPU list \"a\": \"a\" is not a CPU number"),
        ("1,,2", "CPU list \"1,,2\": \"\" is not a CPU number"),
        ("1-2-3", "CPU list \"1-2-3\": \"1-2-3\" is not N or N-M"),
        ("-1", "CPU list \"-1\": \"\" is not a CPU number"),
        ("+1", "CPU list \"+1\": \"+1\" is not a CPU number"),
        ("0-7:2/4", "CPU list \"0-7:2/4\": \"7:2/4\" is not a CPU number"),
        ("9000", "CPU list \"9000\": CPU 9000 is beyond 8191"),
    ])
    func rejects(text: String, message: String) {
        let error = #expect(throws: CPUListError.self) { try CPUSet(parsing: text) }
        #expect(error?.description == message)
    }
}
