import PlumbSystem

/// Failure injection: any operation of the fake that changes the kernel passes its name
/// through `enter` ("createVeth", "addRoute", "setVF:trust", "replaceTable", …), which
/// logs it and, when a fault is armed for it, makes it fail with that errno before it
/// changes anything — as the real kernel refuses a request.
extension FakeKernel {
    struct Fault: Equatable {
        var operation: String
        var errno: Errno
        /// Calls of `operation` to let through first.
        var skip: Int
    }

    /// Makes the `skip + 1`-th call of `operation` from now fail once with `errno`.
    func fail(_ operation: String, with errno: Errno = .noMemory, skip: Int = 0) {
        faults.append(Fault(operation: operation, errno: errno, skip: skip))
    }

    /// Logs a mutating operation; the errno it must fail with, if a fault is armed.
    func enter(_ operation: String) -> Errno? {
        log.append(operation)
        guard let i = faults.firstIndex(where: { $0.operation == operation }) else { return nil }
        if faults[i].skip > 0 {
            faults[i].skip -= 1
            return nil
        }
        return faults.remove(at: i).errno
    }

    /// `enter`, throwing the error `make` builds for the errno.
    func enter(_ operation: String, _ make: (Errno) -> any Error) throws {
        if let e = enter(operation) { throw make(e) }
    }

    /// Faults armed and not triggered yet.
    var pendingFaults: [Fault] { faults }
}
