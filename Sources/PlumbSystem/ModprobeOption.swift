import Glibc

/// One module parameter in a modprobe.d file: `options igb max_vfs=7`, the legacy way
/// to get VFs at module load (`nics[].sriov.persist: true`, the README's SR-IOV section).
///
/// The file is `/etc/modprobe.d/plumb-igb.conf` by default, not the seed's `igb.conf`:
/// Plumb owns it (destroy can remove it without editing an administrator's file),
/// and kmod reads modprobe.d files in lexical order, applying later `options` after
/// earlier ones, so `plumb-igb.conf` wins over an `igb.conf` for the same parameter.
/// Any other file can be passed (`path:`); edits keep every other line as it was.
///
/// Note: `max_vfs` applies to every igb port at module load, and igb loaded from the
/// initramfs only sees the option after the initramfs is rebuilt.
public struct ModprobeOption: Sendable, Equatable {
    public static let defaultPath = "/etc/modprobe.d/plumb-igb.conf"
    /// The first line of a file Plumb creates.
    public static let header = "# Written by plumb (nics[].sriov.persist): VFs created when the driver loads."

    public var module: String
    public var parameter: String
    public var value: String

    public init(module: String, parameter: String, value: String) {
        self.module = module; self.parameter = parameter; self.value = value
    }

    /// `options igb max_vfs=N`.
    public static func igbMaxVFs(_ n: Int) -> ModprobeOption {
        ModprobeOption(module: "igb", parameter: "max_vfs", value: "\(n)")
    }

    public var line: String { "options \(module) \(parameter)=\(value)" }

    // MARK: Pure text edits

    /// `text` with this option set. Idempotent: text that already sets it is returned
    /// unchanged, byte for byte. Every occurrence of the parameter on the module's
    /// `options` lines gets the value (modprobe would apply the last one); without one,
    /// it is appended to the module's last `options` line, else a new line is added.
    public func merged(into text: String) -> String {
        var lines = Self.lines(text)
        var found = false, changed = false
        var lastOptions: Int?
        for i in lines.indices {
            guard var tokens = optionsTokens(lines[i]) else { continue }
            lastOptions = i
            for t in 2..<tokens.count where isParameter(tokens[t]) {
                found = true
                if Self.value(of: tokens[t]) != value {
                    tokens[t] = "\(parameter)=\(value)"; lines[i] = tokens.joined(separator: " "); changed = true
                }
            }
        }
        if !found {
            changed = true
            if let i = lastOptions { lines[i] += " \(parameter)=\(value)" }
            else { lines += (text.isEmpty ? [Self.header] : []) + [line] }
        }
        return changed ? Self.joined(lines) : text
    }

    /// The value the module would get from `text` (the last occurrence), nil when unset.
    public func currentValue(in text: String) -> String? {
        var value: String?
        for l in Self.lines(text) {
            for t in optionsTokens(l)?.dropFirst(2) ?? [] where isParameter(t) {
                value = Self.value(of: t)
            }
        }
        return value
    }

    /// `text` without the parameter; a module `options` line left with no parameter goes.
    /// Idempotent, and unchanged text when the parameter is absent.
    public func removed(from text: String) -> String {
        var out: [String] = []
        var changed = false
        for l in Self.lines(text) {
            guard let tokens = optionsTokens(l) else { out.append(l); continue }
            let kept = tokens.filter { !isParameter($0) }
            if kept.count == tokens.count { out.append(l); continue }
            changed = true
            if kept.count > 2 { out.append(kept.joined(separator: " ")) }
        }
        return changed ? Self.joined(out) : text
    }

    // MARK: The file

    /// The file's text, "" when it does not exist.
    public static func read(path: String = defaultPath) throws -> String {
        do { return try Files.read(path) } catch let e as SystemError where e.errno == .noEntry { return "" }
    }

    /// Sets the option in the file, writing (atomically, mode 0644) only when the text
    /// changes. Returns true when it wrote. Equivalent to: `echo 'options igb max_vfs=N'
    /// >> /etc/modprobe.d/plumb-igb.conf`, made idempotent.
    @discardableResult
    public func ensure(path: String = defaultPath) throws -> Bool {
        let old = try Self.read(path: path)
        let new = merged(into: old)
        if new == old { return false }
        if let cut = path.lastIndex(of: "/"), cut != path.startIndex {
            try Directory.create(String(path[..<cut]), mode: 0o755)
        }
        try Files.writeAtomically(path, Array(new.utf8), mode: 0o644)
        return true
    }

    /// Removes the option from the file; deletes the file when nothing but Plumb's
    /// header is left. Returns true when it changed something.
    @discardableResult
    public func remove(path: String = defaultPath) throws -> Bool {
        let old = try Self.read(path: path)
        let new = removed(from: old)
        if new == old { return false }
        let rest = Self.lines(new).filter { !$0.allSatisfy { $0 == " " || $0 == "\t" } }
        if rest.isEmpty || rest == [Self.header] { try Files.remove(path); return true }
        try Files.writeAtomically(path, Array(new.utf8), mode: 0o644)
        return true
    }

    // MARK: Parsing

    /// The whitespace-separated tokens of an `options MODULE …` line for this module;
    /// nil for comments, blank lines and other directives or modules.
    func optionsTokens(_ line: String) -> [String]? {
        let tokens = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard tokens.count >= 2, tokens[0] == "options", Self.same(tokens[1], module) else { return nil }
        return tokens
    }

    /// `max_vfs=7` or a bare `max_vfs`; the kernel treats '-' and '_' in names alike.
    func isParameter(_ token: String) -> Bool {
        Self.same(String(token.split(separator: "=", maxSplits: 1).first ?? ""), parameter)
    }

    /// "7" of `max_vfs=7`; "" of a bare `max_vfs`.
    static func value(of token: String) -> String {
        token.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).dropFirst().first.map(String.init) ?? ""
    }

    static func same(_ a: String, _ b: String) -> Bool {
        a.replacingDashes() == b.replacingDashes()
    }

    /// Lines without their terminators (a final newline adds no empty line).
    static func lines(_ text: String) -> [String] {
        var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if parts.last == "" { parts.removeLast() }
        return parts
    }

    static func joined(_ lines: [String]) -> String {
        lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    fileprivate func replacingDashes() -> String { String(map { $0 == "-" ? "_" : $0 }) }
}
