import CNFTables
import Foundation

/// libnftables keeps process-wide state (its interface cache is a global list, and
/// `nft_ctx_new` initialises libgmp once without a lock), so two contexts must never run
/// at the same time, even in different namespaces. Every call into the library holds this.
private let libraryLock = NSLock()

/// One libnftables context: the only door to nftables in Plumb.
///
/// A context opens its netlink socket in `init`, so it is bound to the network namespace
/// of the thread that created it, for life. Create it on the caller's side inside the
/// namespace it is meant for — `try namespace.run { try NFTables() … }` or
/// `NetnsThread.runInNewNamespace { … }` — and use it on that thread; never on a Swift
/// concurrency thread that may sit in some other namespace. Not Sendable on purpose.
///
/// Output and errors are buffered, never printed: a failure becomes a `FirewallError`
/// carrying nft's text.
public final class NFTables {
    private let context: OpaquePointer

    public init() throws {
        let made: OpaquePointer? = libraryLock.withLock { nft_ctx_new(UInt32(NFT_CTX_DEFAULT)) }
        guard let context = made else { throw FirewallError.contextUnavailable }
        self.context = context
        guard nft_ctx_buffer_output(context) == 0, nft_ctx_buffer_error(context) == 0 else {
            nft_ctx_free(context)
            throw FirewallError.contextUnavailable
        }
    }

    deinit {
        libraryLock.withLock { nft_ctx_free(context) }
    }

    /// Runs a script as one transaction and returns what nft printed.
    /// Equivalent to: `nft -f script.nft` (or `nft 'CMD; CMD'`).
    @discardableResult
    public func run(_ script: String, operation: String? = nil) throws -> String {
        let (rc, output, error) = libraryLock.withLock { () -> (Int32, String, String) in
            let rc = script.withCString { nft_run_cmd_from_buffer(context, $0) }
            // Reading a buffer also rewinds it, so both are read after every command.
            let output = String(cString: nft_ctx_get_output_buffer(context))
            var error = String(cString: nft_ctx_get_error_buffer(context))
            if rc != 0, let located = ErrorLocation.locate(script, context: context) { error = located }
            return (rc, output, error)
        }
        guard rc == 0 else {
            let message = error.trimmingCharacters(in: .whitespacesAndNewlines)
            throw FirewallError.rejected(operation: operation ?? NFTables.firstLine(script),
                                         message: message.isEmpty ? "failed with no message" : message)
        }
        return output
    }

    /// Parses, evaluates and sends the script to the kernel, which checks it and then
    /// aborts the transaction: nothing changes, but a kernel refusal is still reported.
    /// Equivalent to: `nft -c -f script.nft`.
    public func check(_ script: String, operation: String? = nil) throws {
        nft_ctx_set_dry_run(context, true)
        defer { nft_ctx_set_dry_run(context, false) }
        try run(script, operation: operation.map { "check \($0)" })
    }

    /// The table as JSON, or nil when it does not exist.
    /// Equivalent to: `nft -j list table inet plumb`.
    public func listTableJSON(family: TableFamily, name: String) throws -> String? {
        let flags = nft_ctx_output_get_flags(context)
        nft_ctx_output_set_flags(context, flags | UInt32(NFT_CTX_OUTPUT_JSON))
        defer { nft_ctx_output_set_flags(context, flags) }
        return try listTable(family: family, name: name)
    }

    /// The table as nft text, or nil when it does not exist; `handles` annotates the table,
    /// each chain and each rule with ` # handle N`.
    /// Equivalent to: `nft list table inet plumb` (`nft -a list table inet plumb`).
    public func listTable(family: TableFamily, name: String, handles: Bool = false) throws -> String? {
        let flags = nft_ctx_output_get_flags(context)
        if handles { nft_ctx_output_set_flags(context, flags | UInt32(NFT_CTX_OUTPUT_HANDLE)) }
        defer { nft_ctx_output_set_flags(context, flags) }
        do {
            return try run("list table \(family.rawValue) \(name)")
        } catch let error as FirewallError where error.isNoSuchObject {
            return nil
        }
    }

    /// Every table of this namespace, Plumb's or not (read-only; for checks and reports).
    /// Equivalent to: `nft list ruleset`.
    public func listRuleset() throws -> String {
        try run("list ruleset")
    }

    /// Every table as JSON: what the verifier reads to name a foreign rule.
    /// Equivalent to: `nft -j list ruleset`.
    public func listRulesetJSON() throws -> String {
        let flags = nft_ctx_output_get_flags(context)
        nft_ctx_output_set_flags(context, flags | UInt32(NFT_CTX_OUTPUT_JSON) | UInt32(NFT_CTX_OUTPUT_HANDLE))
        defer { nft_ctx_output_set_flags(context, flags) }
        return try listRuleset()
    }

    private static func firstLine(_ script: String) -> String {
        String(script.prefix { $0 != "\n" && $0 != ";" })
    }
}
