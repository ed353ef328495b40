import Foundation

/// IPAM is delegated to the plugin `ipam.type` names, found on CNI_PATH, with the
/// same environment and the same configuration on stdin — exactly as the CNI spec
/// and the reference plugins do. The one place Plumb runs another program: CNI is
/// process-based.
enum IPAM {
    static func run(command: String, config: Data, type: String, env: [String: String]) throws -> Data {
        guard let path = find(type, in: env["CNI_PATH"] ?? "") else {
            throw CNIError(CNIError.invalidConfig, "IPAM plugin \(type) not found on CNI_PATH \(env["CNI_PATH"] ?? "(unset)")")
        }
        return try exec(path, command: command, config: try negotiated(config, plugin: path, env: env), env: env)
    }

    /// An IPAM plugin older than the configuration (Debian 12's host-local speaks up to
    /// 1.0.0) gets the newest version both support: the result shapes of 1.0.0 and
    /// 1.1.0 are the same, and Plumb re-labels the result with the runtime's version.
    static func negotiated(_ config: Data, plugin: String, env: [String: String]) throws -> Data {
        guard var obj = try JSONSerialization.jsonObject(with: config) as? [String: Any],
              let wanted = obj["cniVersion"] as? String else { return config }
        let answer = try exec(plugin, command: "VERSION", config: config, env: env)
        let theirs = (try? JSONSerialization.jsonObject(with: answer) as? [String: Any])?["supportedVersions"] as? [String] ?? []
        if theirs.isEmpty || theirs.contains(wanted) { return config }
        let ordered = CNIVersions.supported.reversed().drop { $0 != wanted }
        guard let common = ordered.first(where: { theirs.contains($0) }) else {
            throw CNIError(CNIError.incompatibleVersion, "IPAM plugin \(plugin) supports none of the versions up to \(wanted)",
                           details: "it supports \(theirs.joined(separator: ", "))")
        }
        obj["cniVersion"] = common
        if let prev = obj["prevResult"] as? [String: Any] {
            var p = prev; p["cniVersion"] = common; obj["prevResult"] = p
        }
        return try JSONSerialization.data(withJSONObject: obj)
    }

    /// Whether the IPAM plugin speaks `version` (STATUS and GC exist only from 1.1.0:
    /// an older plugin would take them for something else).
    static func supports(_ version: String, type: String, config: Data, env: [String: String]) -> Bool {
        guard let path = find(type, in: env["CNI_PATH"] ?? ""),
              let answer = try? exec(path, command: "VERSION", config: config, env: env),
              let obj = try? JSONSerialization.jsonObject(with: answer) as? [String: Any] else { return false }
        return (obj["supportedVersions"] as? [String] ?? []).contains(version)
    }

    static func exec(_ path: String, command: String, config: Data, env: [String: String]) throws -> Data {
        let type = (path as NSString).lastPathComponent
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        var e = env
        e["CNI_COMMAND"] = command
        p.environment = e
        let stdin = Pipe(), stdout = Pipe()
        p.standardInput = stdin
        p.standardOutput = stdout
        p.standardError = FileHandle.standardError
        do { try p.run() } catch {
            throw CNIError(CNIError.ipamFailed, "cannot run IPAM plugin \(path)", details: "\(error)")
        }
        stdin.fileHandleForWriting.write(config)
        try? stdin.fileHandleForWriting.close()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            // Pass the IPAM plugin's own error through when it gave one.
            if let err = try? JSONDecoder().decode(CNIError.self, from: out) { throw err }
            throw CNIError(CNIError.ipamFailed, "IPAM plugin \(type) \(command) failed (exit \(p.terminationStatus))",
                           details: String(decoding: out, as: UTF8.self))
        }
        return out
    }

    static func find(_ type: String, in path: String) -> String? {
        guard !type.contains("/") else { return nil }
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(type)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

extension CNIError: Decodable {
    enum CodingKeys: String, CodingKey { case cniVersion, code, msg, details }
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(try c.decode(Int.self, forKey: .code), try c.decode(String.self, forKey: .msg),
                  details: try c.decodeIfPresent(String.self, forKey: .details),
                  version: try c.decodeIfPresent(String.self, forKey: .cniVersion) ?? CNIVersions.current)
    }
}
