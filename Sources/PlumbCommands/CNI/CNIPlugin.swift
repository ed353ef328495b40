import Foundation
import PlumbEngine
import PlumbJSON
import PlumbManifest
import PlumbSystem
import PlumbTypes

/// Plumb as a CNI plugin (spec 1.1.0; 0.3.x, 0.4.0 and 1.0.0 configurations too):
/// the binary acts as one whenever CNI_COMMAND is set.
public enum CNIPlugin {
    public static func isInvoked() -> Bool { Environment.value("CNI_COMMAND") != nil }

    /// A network configuration is a few KiB; more than this is not one.
    static let maxInput = 1 << 20

    public static func main() -> Never {
        Trace.mark("cni: main")
        let env = Environment.all()
        Trace.mark("cni: environment read")
        let input = Data((try? Files.readAll(fd: 0, limit: maxInput)) ?? [])
        Trace.mark("cni: stdin read")
        var version = CNIVersions.current
        do {
            guard input.count <= maxInput else {
                throw CNIError(CNIError.decodeFailure, "the network configuration on stdin is larger than \(maxInput) bytes")
            }
            let command = env["CNI_COMMAND"] ?? ""
            if command == "VERSION" { emit(versionResult(input)); exit(0) }
            let config = try CNIConfig.parse(input)
            version = config.cniVersion
            Trace.mark("cni: configuration decoded")
            let run = CNIRun(config: config, input: input, env: env)
            switch command {
            case "ADD":
                let out = try run.add()
                Trace.mark("cni: result encoded")
                emit(out)
            case "DEL": try run.del()
            case "CHECK": try run.check()
            case "GC": try run.gc()
            case "STATUS": try run.status()
            default: throw CNIError(CNIError.invalidEnvironment, "unknown CNI_COMMAND \(command)")
            }
            Trace.mark("cni: \(command) done")
            exit(0)
        } catch var e as CNIError {
            e.cniVersion = errorVersion(version, input)
            fail(e)
        } catch {
            fail(CNIError(error, version: errorVersion(version, input)))
        }
    }

    /// The version an error is labelled with: the configuration's, also when the rest of it
    /// was refused (a runtimeConfig field, say) — an older runtime reads the error it asked for.
    static func errorVersion(_ known: String, _ input: Data) -> String {
        guard known == CNIVersions.current, let asked = (try? JSONDecoding.parse(input))?["cniVersion"]?.string,
              CNIVersions.supported.contains(asked) else { return known }
        return asked
    }

    /// VERSION: the versions Plumb speaks, labelled with the one asked about (encoded,
    /// never interpolated: a quote in the input must not break or inject JSON).
    static func versionResult(_ input: Data) -> Data {
        struct Version: Encodable { var cniVersion: String; var supportedVersions: [String] }
        let asked = (try? JSONDecoding.parse(input))?["cniVersion"]?.string
        let v = asked.flatMap { CNIVersions.supported.contains($0) ? $0 : nil } ?? CNIVersions.current
        return (try? JSONEncoding.encode(Version(cniVersion: v, supportedVersions: CNIVersions.supported))) ?? Data()
    }

    static func emit(_ data: Data) {
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    static func fail(_ e: CNIError) -> Never {
        emit((try? JSONEncoding.encode(e, style: .pretty)) ?? Data())
        FileHandle.standardError.write(Data("plumb: error: \(e)\n".utf8))
        exit(1)
    }
}

/// One invocation: the configuration, the raw stdin (passed to IPAM as is) and the env.
struct CNIRun {
    let config: CNIConfig
    let input: Data
    let env: EnvironmentList

    func require(_ key: String) throws -> String {
        guard let v = env[key], !v.isEmpty else { throw CNIError(CNIError.invalidEnvironment, "\(key) is not set") }
        return v
    }

    func attachment(needNetns: Bool) throws -> CNIAttachment {
        if let id = env["CNI_CONTAINERID"], id.isEmpty || id.count > 128 || id == "." || id == ".."
            || !id.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_.-".unicodeScalars.contains($0)) }) {
            throw CNIError(CNIError.invalidEnvironment, "CNI_CONTAINERID \"\(id.prefix(40))\" is not a container id (letters, digits, _ . -, at most 128)")
        }
        if let n = env["CNI_IFNAME"], let why = InterfaceNames.problem(n) {
            throw CNIError(CNIError.invalidEnvironment, "CNI_IFNAME \"\(n.prefix(40))\" is not a valid interface name: \(why)")
        }
        let netns = needNetns ? try require("CNI_NETNS") : env["CNI_NETNS"]
        if needNetns, let netns {
            if let why = NamespaceRef.path(netns).problem ?? Identities.namespaceFileProblem(netns) {
                throw CNIError(CNIError.invalidEnvironment, "CNI_NETNS \(netns.prefix(200)): \(why)")
            }
        }
        return CNIAttachment(config: config, containerID: try require("CNI_CONTAINERID"), ifname: try require("CNI_IFNAME"),
                             netns: netns)
    }

    /// An IPAM plugin is configured and can be found (DEL, GC and STATUS go on without one).
    var ipamReachable: Bool { hasIPAM && env["CNI_PATH"] != nil }

    /// An IPAM plugin is named: sriov-cni's configurations may carry `"ipam": {}`, no IPAM.
    var hasIPAM: Bool { config.ipam?["type"] != nil }

    func ipamType() throws -> String {
        guard let t = config.ipam?["type"]?.string else { throw CNIError(CNIError.invalidConfig, "ipam.type is required") }
        return t
    }

    /// The previous plugin's result in a chain, or nil; a garbled one is the runtime's fault.
    func previousResult() throws -> CNIResult? {
        guard let prev = config.prevResult else { return nil }
        do { return try JSONDecoding.decode(CNIResult.self, from: prev) } catch {
            throw CNIError(CNIError.invalidConfig, "prevResult is not a CNI result", details: describeDecoding(error))
        }
    }

    /// ADD: addresses from IPAM, then one provisioning — the network's host layer
    /// (bridge), this attachment's layer, a verification probe — undone as a whole,
    /// IPAM included, if any part fails. The IPAM plugin runs while the engine locks the
    /// store and reads the host, which needs no address — and, on the network's first ADD
    /// on this node, makes the network from the gateways its IPAM configuration implies
    /// (`predictedHostLayer`).
    func add() throws -> Data {
        guard config.vf == nil else { return try CNIVF(run: self).add() }
        let a = try attachment(needNetns: true)
        _ = try require("CNI_PATH")
        let prev = try previousResult()
        let ipam = try ipamStart()
        do {
            let engine = try Engine()
            engine.outsideRemoval = .released   // the pod's start must not wait for the kernel's netns cleanup
            Trace.mark("cni: engine opened")
            var given = CNIResult(cniVersion: config.cniVersion)
            try engine.provision(binding: ContainerBinding(containerID: a.containerID, process: nil, namespace: nil),
                                 hostOwner: config.lower == nil ? a.networkOwner : nil, namespace: a.namespace,
                                 early: a.predictedHostLayer()) {
                given = try ipam.finish()
                if config.lower == nil { given = given.withBridgeGateways() }
                Trace.mark("cni: IPAM ADD done")
                let host = try a.hostLayer(given)
                return (host, try a.containerLayer(host, given))
            }
            Trace.mark("cni: provisioned and verified")
            let shown = try result(a, ipam: given, engine: engine)
            Trace.mark("cni: result read")
            return try shown.chained(after: prev).encoded(as: config.cniVersion)
        } catch {
            ipam.release()
            throw error
        }
    }

    /// IPAM's ADD, finished (none for a VF network without `ipam`, as sriov-cni allows).
    func ipamAdd() throws -> CNIResult {
        let ipam = try ipamStart()
        return try ipam.finish()
    }

    func ipamStart() throws -> IPAMAdd {
        guard hasIPAM || config.vf == nil else {
            if !config.runtime.ips.isEmpty { throw CNIError(CNIError.invalidConfig, "runtimeConfig.ips: needs an ipam plugin to give them") }
            return IPAMAdd(run: self, type: nil, pending: nil)
        }
        _ = try require("CNI_PATH")
        let type = try ipamType()
        return IPAMAdd(run: self, type: type, pending: try IPAM.start(command: "ADD", config: input, type: type, env: env))
    }

    func result(_ a: CNIAttachment, ipam: CNIResult, engine: Engine) throws -> CNIResult {
        let inner = try a.namespace.flatMap { try engine.kernel.links(in: $0).link(name: a.ifname) }
        if config.lower != nil {
            // No host end: the one interface is the container's.
            return CNIResult(cniVersion: config.cniVersion,
                             interfaces: [.init(name: a.ifname, mac: inner?.mac?.description, mtu: inner?.mtu, sandbox: a.netns)],
                             ips: ipam.ips?.map { .init(version: nil, address: $0.address, gateway: $0.gateway, interface: 0) },
                             routes: ipam.routes, dns: ipam.dns)
        }
        let host = try engine.kernel.links(in: .host).link(name: a.hostVeth)
        return CNIResult(cniVersion: config.cniVersion,
                         interfaces: [.init(name: a.hostVeth, mac: host?.mac?.description, mtu: host?.mtu, sandbox: nil),
                                      .init(name: a.ifname, mac: inner?.mac?.description, mtu: inner?.mtu, sandbox: a.netns)],
                         ips: ipam.ips?.map { .init(version: nil, address: $0.address, gateway: $0.gateway, interface: 1) },
                         routes: ipam.routes, dns: ipam.dns)
    }

    /// DEL: idempotent; a netns already gone is fine. The network's bridge goes with
    /// its last attachment.
    func del() throws {
        guard config.vf == nil else { return try CNIVF(run: self).del() }
        let a = try attachment(needNetns: false)
        // The lease is released while the links go (the reference plugins release it
        // first), once the store is locked: an ADD that gets the address meanwhile applies
        // it only under that lock, so never beside the old veth.
        // A release that cannot start (no such plugin) still lets the links go first.
        var release: Result<IPAM.Pending, Error>?
        do {
            try Engine().unprovision(a.owner, removeUnusedHost: true, host: a.networkOwner) {
                if ipamReachable { release = Result { try IPAM.start(command: "DEL", config: input, type: try ipamType(), env: env) } }
            }
        } catch {
            _ = try? release?.get().answer()
            throw error
        }
        Trace.mark("cni: unprovisioned")
        _ = try release?.get().answer()
    }

    /// CHECK: the attachment still matches prevResult and passes verification.
    func check() throws {
        guard let prev = try previousResult() else { throw CNIError(CNIError.invalidConfig, "CHECK needs prevResult") }
        let a = try attachment(needNetns: true)
        if config.vf != nil { return try CNIVF(run: self).check(prev) }
        let host = try a.hostLayer(prev)
        let container = try a.containerLayer(host, prev)
        // The IPAM plugin checks its lease while Plumb verifies; the verify's verdict
        // is said first.
        let ipam = hasIPAM ? try IPAM.start(command: "CHECK", config: input, type: try ipamType(), env: env) : nil
        let report: VerifyReport
        do {
            let engine = try Engine()
            engine.outsideRemoval = .released
            report = try engine.verify(container)
        } catch {
            _ = try? ipam?.answer()
            throw error
        }
        guard report.ok else {
            _ = try? ipam?.answer()
            throw CNIError(CNIError.checkFailed, "attachment \(a.containerName) does not match prevResult",
                           details: report.failures.joined(separator: "; "))
        }
        _ = try ipam?.answer()
    }

    /// GC (spec 1.1.0): removes this network's attachments that are not in
    /// `cni.dev/valid-attachments`. Without that key, or for an older configuration,
    /// it removes nothing: no list is not an empty list.
    func gc() throws {
        guard let validList = config.validAttachments, CNIVersions.atLeast(config.cniVersion, "1.1.0") else { return }
        let engine = try Engine()
        let valid = Set(validList.map { "\($0.containerID)@\($0.ifname)" })
        for record in try engine.store.records() {
            guard case .cniAttachment(let network, let id, let ifname) = record.owner, network == config.name,
                  !valid.contains("\(id)@\(ifname)") else { continue }
            try engine.unprovision(record.owner, removeUnusedHost: true, host: .cniNetwork(config.name))
            try releaseAddress(containerID: id, ifname: ifname)
        }
        if try ipamSpeaks1_1() {
            _ = try IPAM.run(command: "GC", config: input, type: try ipamType(), env: env)
        }
    }

    /// A stale attachment's address goes back to IPAM (DEL as that attachment), since
    /// an IPAM plugin older than 1.1.0 has no GC of its own.
    func releaseAddress(containerID: String, ifname: String) throws {
        guard ipamReachable else { return }
        var e = env
        e["CNI_CONTAINERID"] = containerID
        e["CNI_IFNAME"] = ifname
        _ = try IPAM.run(command: "DEL", config: input, type: try ipamType(), env: e)
    }

    func ipamSpeaks1_1() throws -> Bool {
        guard ipamReachable, config.cniVersion == "1.1.0" else { return false }
        return IPAM.supports("1.1.0", type: try ipamType(), config: input, env: env)
    }

    /// STATUS: ready when the configuration is usable and IPAM (if it knows STATUS) says so.
    func status() throws {
        if try ipamSpeaks1_1() {
            _ = try IPAM.run(command: "STATUS", config: input, type: try ipamType(), env: env)
        }
    }
}
