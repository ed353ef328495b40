import Foundation
import PlumbJSON
import PlumbSystem
import PlumbTypes

/// IPAM is delegated to the plugin `ipam.type` names, found on CNI_PATH, with the
/// same environment and the same configuration on stdin — exactly as the CNI spec
/// and the reference plugins do. The one place Plumb runs another program: CNI is
/// process-based.
enum IPAM {
    static func run(command: String, config: Data, type: String, env: EnvironmentList) throws -> Data {
        try start(command: command, config: config, type: type, env: env).answer()
    }

    /// An IPAM call under way (`start`): the plugin runs while Plumb does work that does
    /// not need its answer. `answer` waits for the call, exactly once.
    final class Pending {
        private let work: () throws -> Data
        private var result: Result<Data, Error>?
        init(_ work: @escaping () throws -> Data) { self.work = work }
        func answer() throws -> Data {
            if result == nil { result = Result { try work() } }
            return try result!.get()
        }
    }

    /// `run`, started: one spawn that runs while the caller goes on, the configuration
    /// labelled with the newest version up to its own that the plugin speaks. A plugin that
    /// never said (no cached VERSION answer) is taken to speak what plugins of the last years
    /// all do (`assumed`), and is not asked: a VERSION beside every host's first call was a
    /// second Go process on the critical path (measured: the first ADD waited ~14 ms for it
    /// on 2 cores). Only a plugin that refuses that label is asked VERSION — its answer
    /// cached per plugin binary, so each later call is one run again.
    static func start(command: String, config: Data, type: String, env: EnvironmentList) throws -> Pending {
        guard let path = find(type, in: env["CNI_PATH"] ?? "") else {
            throw CNIError(CNIError.invalidConfig, "IPAM plugin \(type) not found on CNI_PATH \(env["CNI_PATH"] ?? "(unset)")")
        }
        if let versions = cachedVersions(path) {
            Trace.mark("ipam: \(type) speaks \(versions.joined(separator: ","))")
            let running = try spawn(path, command: command, config: try labelled(config, speaking: versions, plugin: path), env: env)
            return Pending { try collect(running, path, command: command) }
        }
        let trying = try spawn(path, command: command, config: try labelled(config, speaking: assumed, plugin: path), env: env)
        return Pending { try assumedCall(trying, path, command: command, config: config, env: env) }
    }

    /// The answer of a call labelled before the plugin said its versions; a refusal of that
    /// label is made good once VERSION has answered (or, without a usable answer, by `negotiate`).
    static func assumedCall(_ trying: Spawn.Running, _ path: String, command: String,
                            config: Data, env: EnvironmentList) throws -> Data {
        do { return try collect(trying, path, command: command) } catch let e as CNIError where e.code == CNIError.incompatibleVersion {
            guard let speaks = askVersions(path, config: config, env: env) else { return try negotiate(path, command: command, config: config, env: env) }
            return try exec(path, command: command, config: try labelled(config, speaking: speaks, plugin: path), env: env)
        }
    }

    /// The versions a plugin is taken to speak before it said: up to 1.0.0 (2021), which
    /// the reference plugins since 1.0 and the plugins built on them speak. The result
    /// shapes of 1.0.0 and 1.1.0 are the same.
    static let assumed = ["0.3.0", "0.3.1", "0.4.0", "1.0.0"]

    /// A plugin whose versions are unknown: the configuration as it is, relabelled once
    /// when it answers "incompatible version".
    static func negotiate(_ path: String, command: String, config: Data, env: EnvironmentList) throws -> Data {
        do {
            return try exec(path, command: command, config: config, env: env)
        } catch let e as CNIError where e.code == CNIError.incompatibleVersion {
            return try exec(path, command: command, config: try negotiated(config, plugin: path, env: env), env: env)
        }
    }

    /// Named by a hash of the plugin's path: a path is never a file name here.
    static func cacheFile(_ plugin: String) -> String {
        "/run/plumb/.ipam-version-" + SHA256.hex(Array(plugin.utf8)).prefix(16)
    }

    /// The versions this plugin binary answered VERSION with before (keyed by its mtime
    /// and size, and the cache's format: an older Plumb's file is asked again).
    static func cachedVersions(_ plugin: String) -> [String]? {
        guard let text = try? Files.read(cacheFile(plugin), followingSymlinks: false) else { return nil }
        let parts = text.split(separator: " ")
        guard parts.count == 2, String(parts[0]) == fingerprint(plugin) else { return nil }
        let versions = parts[1].split(separator: ",").map(String.init)
        return versions.isEmpty ? nil : versions
    }

    /// The plugin's VERSION answer, cached; nil when it gave no usable list (not cached).
    static func askVersions(_ plugin: String, config: Data, env: EnvironmentList) -> [String]? {
        (try? spawn(plugin, command: "VERSION", config: config, env: env)).flatMap { versions(answered: $0, plugin: plugin) }
    }

    /// The list a VERSION call under way answers with, cached; nil when it gave no usable one.
    static func versions(answered running: Spawn.Running, plugin: String) -> [String]? {
        guard let answer = try? collect(running, plugin, command: "VERSION"),
              let versions = (try? JSONDecoding.decode(VersionAnswer.self, from: answer))?.supportedVersions, !versions.isEmpty,
              versions.allSatisfy({ !$0.isEmpty && !$0.contains(",") && !$0.contains(" ") }) else { return nil }
        try? Directory.create("/run/plumb", mode: 0o700)
        try? Files.writeAtomically(cacheFile(plugin), Array("\(fingerprint(plugin)) \(versions.joined(separator: ","))".utf8))
        return versions
    }

    struct VersionAnswer: Decodable { var supportedVersions: [String]? }
    struct VersionLabel: Decodable { var cniVersion: String? }

    /// The plugin binary's identity for the cache; "v2" names the cache's format (a list
    /// of versions; the first format held one negotiated version).
    static func fingerprint(_ plugin: String) -> String {
        let a = Files.modificationAndSize(plugin)
        return "v2:\(a?.modified ?? 0)-\(a?.size ?? 0)"
    }

    /// The configuration labelled with the newest version up to its own that the plugin
    /// speaks: as it is when the plugin speaks its own; none in common is an error.
    static func labelled(_ config: Data, speaking theirs: [String], plugin: String) throws -> Data {
        let bytes = Array(config)
        let labels = VersionLabels.find(bytes)
        let label: String? = if let labels { labels.version(in: bytes) } else {
            (try? JSONDecoding.decode(VersionLabel.self, from: config))?.cniVersion
        }
        guard let wanted = label,
              !theirs.contains(wanted), CNIVersions.supported.contains(wanted) else { return config }
        guard let common = CNIVersions.supported.reversed().drop(while: { $0 != wanted }).first(where: { theirs.contains($0) }) else {
            throw CNIError(CNIError.incompatibleVersion, "IPAM plugin \(plugin) supports none of the versions up to \(wanted)",
                           details: "it supports \(theirs.joined(separator: ", "))")
        }
        if let labels { return Data(labels.relabelled(bytes, to: common)) }
        return try relabel(config, common)
    }

    /// The configuration (and its prevResult) labelled with `version`, by a decode and
    /// re-encode: for what `VersionLabels` declines.
    static func relabel(_ config: Data, _ version: String) throws -> Data {
        guard var obj = try JSONSerialization.jsonObject(with: config) as? [String: Any] else { return config }
        guard let wanted = obj["cniVersion"] as? String,
              CNIVersions.supported.firstIndex(of: version)! < CNIVersions.supported.firstIndex(of: wanted) ?? 0 else { return config }
        obj["cniVersion"] = version
        if var p = obj["prevResult"] as? [String: Any] { p["cniVersion"] = version; obj["prevResult"] = p }
        return try JSONSerialization.data(withJSONObject: obj)
    }

    /// An IPAM plugin older than the configuration (Debian 12's host-local speaks up to
    /// 1.0.0) gets the newest version both support: the result shapes of 1.0.0 and
    /// 1.1.0 are the same, and Plumb re-labels the result with the runtime's version.
    static func negotiated(_ config: Data, plugin: String, env: EnvironmentList) throws -> Data {
        guard let obj = try JSONSerialization.jsonObject(with: config) as? [String: Any],
              let wanted = obj["cniVersion"] as? String else { return config }
        let answer = try exec(plugin, command: "VERSION", config: config, env: env)
        let theirs = (try? JSONSerialization.jsonObject(with: answer) as? [String: Any])?["supportedVersions"] as? [String] ?? []
        if theirs.isEmpty || theirs.contains(wanted) { return config }
        let ordered = CNIVersions.supported.reversed().drop { $0 != wanted }
        guard let common = ordered.first(where: { theirs.contains($0) }) else {
            throw CNIError(CNIError.incompatibleVersion, "IPAM plugin \(plugin) supports none of the versions up to \(wanted)",
                           details: "it supports \(theirs.joined(separator: ", "))")
        }
        return try relabel(config, common)
    }

    /// Whether the IPAM plugin speaks `version` (STATUS and GC exist only from 1.1.0:
    /// an older plugin would take them for something else).
    static func supports(_ version: String, type: String, config: Data, env: EnvironmentList) -> Bool {
        guard let path = find(type, in: env["CNI_PATH"] ?? "") else { return false }
        return (cachedVersions(path) ?? askVersions(path, config: config, env: env))?.contains(version) ?? false
    }

    /// Runs the plugin with posix_spawn (never Foundation's Process, whose wait polls
    /// every 50 ms), the configuration on stdin, CNI_COMMAND set.
    static func exec(_ path: String, command: String, config: Data, env: EnvironmentList) throws -> Data {
        try collect(try spawn(path, command: command, config: config, env: env), path, command: command)
    }

    static func spawn(_ path: String, command: String, config: Data, env: EnvironmentList) throws -> Spawn.Running {
        let type = name(of: path)
        var e = env
        e["CNI_COMMAND"] = command
        Trace.mark("ipam: spawn \(type) \(command)")
        do { return try Spawn.start(path, argv: [type], environment: e, input: Array(config)) } catch {
            throw CNIError(CNIError.ipamFailed, "cannot run IPAM plugin \(path)", details: "\(error)")
        }
    }

    /// The plugin's answer; its own CNI error passed through.
    static func collect(_ running: Spawn.Running, _ path: String, command: String) throws -> Data {
        let type = name(of: path)
        let result: Spawn.Result
        do { result = try running.finish() } catch {
            throw CNIError(CNIError.ipamFailed, "cannot run IPAM plugin \(path)", details: "\(error)")
        }
        Trace.mark("ipam: \(type) \(command) returned")
        let out = Data(result.stdout)
        guard result.status == 0 else {
            // Pass the IPAM plugin's own error through when it gave one.
            if let err = try? JSONDecoding.decode(CNIError.self, from: out) { throw err }
            throw CNIError(CNIError.ipamFailed, "IPAM plugin \(type) \(command) failed (exit \(result.status))",
                           details: String(decoding: out, as: UTF8.self))
        }
        return out
    }

    /// The plugin's file name: its argv[0] and its name in messages.
    static func name(of path: String) -> String { String(path.split(separator: "/").last ?? Substring(path)) }

    static func find(_ type: String, in path: String) -> String? {
        guard !type.contains("/") else { return nil }
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(type)"
            if Files.isExecutableFile(candidate) { return candidate }
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
