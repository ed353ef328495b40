import PlumbEngine
import PlumbSystem

/// A CNI error result: `{"cniVersion", "code", "msg", "details"}` on stdout, exit 1.
/// Codes are the spec's reserved ones; 100+ are Plumb's own.
struct CNIError: Error, Encodable, CustomStringConvertible {
    var cniVersion: String
    var code: Int
    var msg: String
    var details: String?

    static let incompatibleVersion = 1, unsupportedField = 2, unknownContainer = 3, invalidEnvironment = 4
    static let ioFailure = 5, decodeFailure = 6, invalidConfig = 7, tryAgainLater = 11
    /// Plumb's own: the kernel refused a step (rolled back), verification failed, IPAM failed.
    static let applyFailed = 100, checkFailed = 101, ipamFailed = 102

    init(_ code: Int, _ msg: String, details: String? = nil, version: String = CNIVersions.current) {
        self.cniVersion = version; self.code = code; self.msg = msg; self.details = details
    }

    /// An engine error as a CNI error: the code from its type, the text from its cause,
    /// the capability a permission failure lacks in the details.
    init(_ error: Error, version: String) {
        let hint = (error as? any ErrnoCarrying)?.errno.hint
            ?? (error as? ApplyError)?.errno?.hint ?? (error as? DestroyError)?.errno?.hint
        let code: Int
        var text = "\(error)"
        switch error {
        case is VerificationFailed: code = CNIError.checkFailed
        case let e as PlanErrors: code = CNIError.invalidConfig; text = CNIPlanFields.said(e)
        case let e as PlanError: code = CNIError.invalidConfig; text = CNIPlanFields.said(e)
        case is StoreError: code = CNIError.ioFailure
        default: code = CNIError.applyFailed
        }
        self.init(code, text, details: hint, version: version)
    }

    var description: String { msg + (details.map { ": \($0)" } ?? "") }
}

enum CNIVersions {
    static let current = "1.1.0"
    static let supported = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]

    /// True when `version` is `minimum` or later (both supported versions).
    static func atLeast(_ version: String, _ minimum: String) -> Bool {
        guard let v = supported.firstIndex(of: version), let m = supported.firstIndex(of: minimum) else { return false }
        return v >= m
    }
}
