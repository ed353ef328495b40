import PlumbSystem
import PlumbTypes
import Testing

/// The hexadecimal CPU masks of sysfs (`rps_cpus`, `xps_cpus`) as the kernel prints and takes them.
@Suite("CPU masks")
struct CPUMaskTests {
    @Test("parse: one word, words of 32 CPUs most significant first, zero, with the newline sysfs ends with",
          arguments: [("3\n", "0-1"), ("00000000,00000003", "0-1"), ("1,00000000", "32"), ("0", ""), ("f0", "4-7"),
                      ("00000001,80000000,00000000", "63-64")])
    func parse(text: String, list: String) throws {
        #expect(try CPUMask.parse(text) == CPUSet(parsing: list))
    }

    @Test("format: the shortest mask, words padded to 8 digits after the first",
          arguments: [("", "0"), ("0", "1"), ("0-1", "3"), ("2", "4"), ("32", "1,00000000"), ("0,33", "2,00000001")])
    func format(list: String, text: String) throws {
        #expect(CPUMask.format(try CPUSet(parsing: list)) == text)
    }

    @Test("text that is not a mask is an error naming it")
    func notAMask() {
        #expect(throws: CPUMaskError.self) { try CPUMask.parse("0-1") }
    }
}
