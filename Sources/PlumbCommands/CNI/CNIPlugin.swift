import Foundation
import PlumbEngine
import PlumbManifest

/// Plumb as a CNI plugin (spec 1.1.0; 0.3.x, 0.4.0 and 1.0.0 configurations too):
/// the binary acts as one whenever CNI_COMMAND is set.
public enum CNIPlugin {
    public static func isInvoked(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        env["CNI_COMMAND"] != nil
    }

    public static func main() -> Never {
        let env = ProcessInfo.processInfo.environment
        let input = FileHandle.standardInput.readDataToEndOfFile()
        var version = CNIVersions.current
        do {
            let command = env["CNI_COMMAND"] ?? ""
            if command == "VERSION" {
                let v = (try? JSONDecoder().decode([String: JSONValue].self, from: input))?["cniVersion"]?.string ?? version
                emit(Data("{\"cniVersion\": \"\(v)\", \"supportedVersions\": [\(CNIVersions.supported.map { "\"\($0)\"" }.joined(separator: ", "))]}".utf8))
                exit(0)
            }
            let config = try CNIConfig.parse(input)
            version = config.cniVersion
            let run = CNIRun(config: config, input: input, env: env)
            switch command {
            case "ADD": emit(try run.add())
            case "DEL": try run.del()
            case "CHECK": try run.check()
            case "GC": try run.gc()
            case "STATUS": try run.status()
            default: throw CNIError(CNIError.invalidEnvironment, "unknown CNI_COMMAND \(command)")
            }
            exit(0)
        } catch var e as CNIError {
            e.cniVersion = version
            fail(e)
        } catch {
            fail(CNIError(CNIError.applyFailed, "\(error)", version: version))
        }
    }

    static func emit(_ data: Data) {
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    static func fail(_ e: CNIError) -> Never {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        emit((try? enc.encode(e)) ?? Data())
        FileHandle.standardError.write(Data("plumb: error: \(e)\n".utf8))
        exit(1)
    }
}

/// One invocation: the configuration, the raw stdin (passed to IPAM as is) and the env.
struct CNIRun {
    let config: CNIConfig
    let input: Data
    let env: [String: String]

    func require(_ key: String) throws -> String {
        guard let v = env[key], !v.isEmpty else { throw CNIError(CNIError.invalidEnvironment, "\(key) is not set") }
        return v
    }

    func attachment(needNetns: Bool) throws -> CNIAttachment {
        // The id names a file under /run/plumb: the spec's alphabet only, never a path.
        if let id = env["CNI_CONTAINERID"], id.isEmpty || id.count > 128 || id == "." || id == ".."
            || !id.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_.-".unicodeScalars.contains($0)) }) {
            throw CNIError(CNIError.invalidEnvironment, "CNI_CONTAINERID \"\(id.prefix(40))\" is not a container id (letters, digits, _ . -, at most 128)")
        }
        if let n = env["CNI_IFNAME"], let why = interfaceNameProblem(n) {
            throw CNIError(CNIError.invalidEnvironment, "CNI_IFNAME \"\(n.prefix(40))\" is not a valid interface name: \(why)")
        }
        return CNIAttachment(config: config, containerID: try require("CNI_CONTAINERID"), ifname: try require("CNI_IFNAME"),
                      netns: needNetns ? try require("CNI_NETNS") : env["CNI_NETNS"])
    }

    func ipamType() throws -> String {
        guard let t = config.ipam?["type"]?.string else { throw CNIError(CNIError.invalidConfig, "ipam.type is required") }
        return t
    }

    /// ADD: addresses from IPAM, the host layer (bridge), this attachment's layer,
    /// verified with a probe. Any failure undoes all of it, IPAM included.
    func add() throws -> Data {
        guard config.vf == nil else { return try CNIVF(run: self).add() }
        let a = try attachment(needNetns: true)
        _ = try require("CNI_PATH")
        let lock = try a.lock()
        defer { withExtendedLifetime(lock) {} }
        let ipam = try JSONDecoder().decode(CNIResult.self, from: try IPAM.run(command: "ADD", config: input, type: try ipamType(), env: env))
        do {
            let host = try a.hostManifest(ipam)
            try Engine(manifest: host).apply()
            let layerManifest = try a.containerLayer(host, ipam)
            let layer = try Engine(manifest: layerManifest)
            try layer.apply()
            let report = try layer.verify()
            guard report.ok else {
                try layer.destroy()
                throw CNIError(CNIError.checkFailed, "attachment \(a.containerName) failed verification",
                               details: report.failures.joined(separator: "; "))
            }
            return try result(a, ipam: ipam, layer: layer).encoded(as: config.cniVersion)
        } catch {
            _ = try? IPAM.run(command: "DEL", config: input, type: try ipamType(), env: env)
            if CNIAttachment.attachments(of: a.network).isEmpty { _ = try? destroyHostLayer(a) }
            throw error
        }
    }

    func result(_ a: CNIAttachment, ipam: CNIResult, layer: Engine) throws -> CNIResult {
        let (seen, _) = try layer.observe()
        let host = seen.host.link(named: a.hostVeth)
        let inner = seen.namespaces[a.netns ?? ""]?.link(named: a.ifname)
        return CNIResult(cniVersion: config.cniVersion,
                         interfaces: [.init(name: a.hostVeth, mac: host?.mac?.description, mtu: host?.mtu, sandbox: nil),
                                      .init(name: a.ifname, mac: inner?.mac?.description, mtu: inner?.mtu, sandbox: a.netns)],
                         ips: ipam.ips?.map { .init(version: nil, address: $0.address, gateway: $0.gateway, interface: 1) },
                         routes: ipam.routes, dns: ipam.dns)
    }

    /// DEL: idempotent; a netns already gone is fine. The network's bridge goes
    /// with its last attachment.
    func del() throws {
        guard config.vf == nil else { return try CNIVF(run: self).del() }
        let a = try attachment(needNetns: false)
        let lock = try a.lock()
        defer { withExtendedLifetime(lock) {} }
        try destroyLayer(a.layerName, network: a.network)
        if config.ipam != nil, env["CNI_PATH"] != nil {
            _ = try IPAM.run(command: "DEL", config: input, type: try ipamType(), env: env)
        }
        if CNIAttachment.attachments(of: a.network).isEmpty { try destroyHostLayer(a) }
    }

    func destroyLayer(_ name: String, network: String) throws {
        var m = Manifest(name: name, containers: [Container(name: String(name.dropFirst(network.count + 2)), netns: nil)])
        m.hostLayerManagedElsewhere = true
        try Engine(manifest: m).destroy()
    }

    func destroyHostLayer(_ a: CNIAttachment) throws {
        try Engine(manifest: Manifest(name: a.network)).destroy()
    }

    /// CHECK: the attachment still matches prevResult and passes verification.
    func check() throws {
        guard let prev = config.prevResult else { throw CNIError(CNIError.invalidConfig, "CHECK needs prevResult") }
        let a = try attachment(needNetns: true)
        let result = try JSONDecoder().decode(CNIResult.self, from: try JSONEncoder().encode(prev))
        if config.vf != nil { return try CNIVF(run: self).check(result) }
        let layer = try Engine(manifest: try a.containerLayer(try a.hostManifest(result), result))
        let report = try layer.verify()
        guard report.ok else {
            throw CNIError(CNIError.checkFailed, "attachment \(a.containerName) does not match prevResult",
                           details: report.failures.joined(separator: "; "))
        }
        if config.ipam != nil { _ = try IPAM.run(command: "CHECK", config: input, type: try ipamType(), env: env) }
    }

    /// GC: removes this network's attachments not in cni.dev/valid-attachments.
    func gc() throws {
        let probe = CNIAttachment(config: config, containerID: "", ifname: "", netns: nil)
        let lock = try probe.lock()
        defer { withExtendedLifetime(lock) {} }
        let valid = Set((config.validAttachments ?? []).map { "\($0.containerID)@\($0.ifname)" })
        for name in CNIAttachment.attachments(of: probe.network) where !valid.contains(name) {
            try destroyLayer(Layers.containerName(probe.network, name), network: probe.network)
            try releaseAddress(of: name)
        }
        if try ipamSpeaks1_1() {
            _ = try IPAM.run(command: "GC", config: input, type: try ipamType(), env: env)
        }
        if CNIAttachment.attachments(of: probe.network).isEmpty { try destroyHostLayer(probe) }
    }

    /// A stale attachment's address goes back to IPAM (DEL as that attachment), since
    /// an IPAM plugin older than 1.1.0 has no GC of its own.
    func releaseAddress(of attachment: String) throws {
        guard config.ipam != nil, env["CNI_PATH"] != nil, let at = attachment.lastIndex(of: "@") else { return }
        var e = env
        e["CNI_CONTAINERID"] = String(attachment[..<at])
        e["CNI_IFNAME"] = String(attachment[attachment.index(after: at)...])
        _ = try IPAM.run(command: "DEL", config: input, type: try ipamType(), env: e)
    }

    func ipamSpeaks1_1() throws -> Bool {
        guard config.ipam != nil, env["CNI_PATH"] != nil, config.cniVersion == "1.1.0" else { return false }
        return IPAM.supports("1.1.0", type: try ipamType(), config: input, env: env)
    }

    /// STATUS: ready when the configuration is usable and IPAM (if it knows STATUS) says so.
    func status() throws {
        if try ipamSpeaks1_1() {
            _ = try IPAM.run(command: "STATUS", config: input, type: try ipamType(), env: env)
        }
    }
}

extension VerifyReport {
    /// "eth0 probe: expected …, observed …" for each failed check.
    var failures: [String] {
        (host.checks + containers.flatMap(\.checks)).filter { $0.status == .fail }.map {
            "\($0.interface.map { "\($0) " } ?? "")\($0.name): expected \($0.expected), observed \($0.observed)"
        }
    }
}
