import Testing

/// Shared observations of "nothing of this manifest is left", as a user checks it by hand.
extension Sandbox {
    /// No named netns, only `lo` (after a bounded wait for the kernel's asynchronous netns
    /// cleanup), and nothing under /run/plumb that belongs to `manifest`.
    func expectPristine(manifest: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try netnsList() == [], "named namespaces left", sourceLocation: sourceLocation)
        var seen: [String] = []
        let onlyLo = try eventually { seen = try links(); return seen == ["lo"] }
        #expect(onlyLo, "links left: \(seen)", sourceLocation: sourceLocation)
        let leftovers = try records().filter { $0.manifest == manifest }
        #expect(leftovers.isEmpty, "records left: \(leftovers)", sourceLocation: sourceLocation)
        // A rule carries no alias: Plumb's protocol (proto 126) is its mark.
        for family in ["-4", "-6"] {
            let rules = try must(["ip", family, "rule", "show"]).stdout.split(separator: "\n").filter { $0.contains("proto 126") }
            #expect(rules.isEmpty, "host rules left: \(rules)", sourceLocation: sourceLocation)
        }
        let temporaries = try list("/run/plumb").filter { $0.contains(".json.tmp.") }
        #expect(temporaries == [], "temporary record files left", sourceLocation: sourceLocation)
        let ownerless = try ownerlessStoreFiles()
        #expect(ownerless == [], "files of owners without a record left under /run/plumb", sourceLocation: sourceLocation)
    }

    /// Files under /run/plumb that are neither a record, nor the store's own (its lock, the
    /// IPAM version cache, the watcher's counters), nor the verify lock of an owner with a
    /// record: what an owner left behind once its record went.
    func ownerlessStoreFiles() throws -> [String] { Self.ownerless(try list("/run/plumb")) }

    static func ownerless(_ names: [String]) -> [String] {
        let records = Set(names.filter { !$0.hasPrefix(".") && $0.hasSuffix(".json") }.map { String($0.dropLast(5)) })
        return names.filter { n in
            if n == ".lock" || n == ".watch-counters.json" || n.hasPrefix(".ipam-version-") { return false }
            if !n.hasPrefix(".") && n.hasSuffix(".json") { return false }
            if n.hasPrefix(".verify-") && n.hasSuffix(".lock") { return !records.contains(String(n.dropFirst(8).dropLast(5))) }
            return true
        }
    }

    /// Applies `manifestPath` and requires success: the setup of tests about what comes after.
    func applyOrFail(_ manifestPath: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let apply = try plumb("apply", manifestPath)
        // Its verify's failing rows whole, first: the output is clipped, and a row is long.
        let failing = apply.stdout.split(separator: "\n").filter { $0.contains(" FAIL ") }.joined(separator: "\n")
        try #require(apply.status == 0, "apply failed:\n\(failing.isEmpty ? "" : "failing rows:\n\(failing)\n")\(apply)",
                     sourceLocation: sourceLocation)
    }

    /// `plan --detailed-exitcode` → 0 with "No changes" in its text.
    func expectConverged(_ manifestPath: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let plan = try plumb("plan", manifestPath, "--detailed-exitcode")
        #expect(plan.status == 0, "plan is not empty:\n\(plan)", sourceLocation: sourceLocation)
        #expect(plan.stdout.contains("No changes"), "\(plan)", sourceLocation: sourceLocation)
    }
}
