import PlumbFirewall
import PlumbManifest
import PlumbNetlink
import PlumbSystem

/// Undo steps a step leaves beyond its own (a reference, so a struct can fill it).
final class UndoList {
    var steps: [Step] = []
    func take() -> [Step] { defer { steps = [] }; return steps }
}

/// Executes steps in order. Each executed step yields its undo; if any step
/// fails, the undos run in reverse and the kernel ends as it was (DESIGN.md §1.7).
public struct Applier {
    let session: KernelSession
    /// Test builds only: make step k (1-based) fail, to prove rollback.
    let faultStep: Int?
    /// Extra undo steps a step adds beyond its own (routes the kernel dropped with
    /// a deleted address), run after it when rolling back.
    let pendingUndo = UndoList()

    public init(session: KernelSession, faultStep: Int? = nil) {
        self.session = session
        #if DEBUG
        self.faultStep = faultStep
        #else
        self.faultStep = nil
        #endif
    }

    public func apply(_ steps: [Step], progress: (Int, Step) -> Void = { _, _ in }) throws {
        var undo: [Step] = []
        for (i, step) in steps.enumerated() {
            progress(i + 1, step)
            do {
                if faultStep == i + 1 { throw InjectedFault(stepNumber: i + 1) }
                let u = try execute(step)
                // Rollback runs backwards: extra undos (routes) before the step's own,
                // so the address comes back before the routes through it.
                undo.append(contentsOf: pendingUndo.take())
                if let u { undo.append(u) }
            } catch {
                throw ApplyError(step: step, stepNumber: i + 1, cause: "\(error)", undoFailures: rollback(undo))
            }
        }
    }

    /// Runs undo steps newest first; returns the ones that failed.
    func rollback(_ undo: [Step]) -> [String] {
        var failures: [String] = []
        for u in undo.reversed() {
            do { _ = try execute(u) } catch let e as NetlinkError where e.errno == .noDevice && u.action == .deleteLink {
                continue  // already gone with its namespace or its peer
            } catch {
                failures.append("\(u.command): \(error)")
            }
        }
        return failures
    }

    /// Executes one step and returns the step that reverses it (nil: nothing to undo).
    func execute(_ s: Step) throws -> Step? {
        switch s.action {
        case .setSysctl:
            try Sysctls.write(s.object, s["value"]!)
            return Step(.setSysctl, s.object, ["value": s["old"] ?? "", "old": s["value"]!])
        case .createNamespace:
            try session.createNamed(s.object, ipv6: s["ipv6"] != "off")
            return Step(.deleteNamespace, s.object)
        case .deleteNamespace:
            try session.deleteNamed(s.object)
            return nil
        case .createBridge:
            try session.host.execute(CreateBridge(name: s.object, mtu: s["mtu"].flatMap { Int($0) },
                                                  mac: s["mac"].flatMap { MACAddress($0) }))
            return Step(.deleteLink, s.object)
        case .createVeth:
            return try createVeth(s)
        case .setLink:
            return try setLink(s)
        case .deleteLink:
            let sock = try session.socket(s.namespace)
            try sock.deleteLink(index: try index(of: s.object, in: s.namespace), name: s.object)
            return nil
        case .addAddress, .deleteAddress:
            return try address(s)
        case .addRoute, .deleteRoute:
            return try route(s)
        case .replaceFirewall, .deleteFirewall:
            return try firewall(s)
        case .setRings, .setChannels, .setCoalesce, .setOffload, .setIRQAffinity:
            return try tune(s)
        case .setNumVFs: return try setNumVFs(s)
        case .persistMaxVFs: return try persistMaxVFs(s)
        case .setVF: return try setVF(s)
        case .moveVF: return try moveVF(s)
        case .returnVF: return try returnVF(s)
        }
    }

    /// Replaces or deletes our table in one nftables transaction; the undo puts
    /// back the table's previous text (or removes a table this step created).
    func firewall(_ s: Step) throws -> Step {
        let nft = try session.nftContext()
        let table = try tableName(s.object)
        let previous = try nft.listTable(family: table.family, name: table.name)
        if s.action == .replaceFirewall {
            try nft.run(s["script"]!, operation: "replace table \(s.object)")
        } else {
            try session.firewall(table).delete()
        }
        guard let previous else { return Step(.deleteFirewall, s.object) }
        return Step(.replaceFirewall, s.object, ["script": "add table \(s.object)\ndelete table \(s.object)\n\(previous)"])
    }

    func tableName(_ text: String) throws -> TableName {
        let parts = text.split(separator: " ")
        guard parts.count == 2, let f = TableFamily(rawValue: String(parts[0])) else {
            throw SystemError("parse", "nftables table \(text)", .invalid)
        }
        return TableName(family: f, name: String(parts[1]))
    }

    func index(of name: String, in ns: NamespaceKey) throws -> Int {
        guard let l = try session.socket(ns).link(name: name) else {
            throw NetlinkError(operation: "RTM_GETLINK", object: "\(name) in \(ns == hostNamespace ? "the host namespace" : "netns \(ns)")", errno: .noDevice)
        }
        return l.index
    }

    func createVeth(_ s: Step) throws -> Step {
        let peerNS = s["peerNamespace"]!
        guard let h = try session.handle(peerNS) else {
            throw SystemError("open", "netns \(peerNS)", .noEntry)
        }
        let master = try index(of: s["bridge"]!, in: hostNamespace)
        try session.host.execute(CreateVeth(hostName: s.object, peerName: s["peer"]!, peerNamespaceFD: h.namespace.fd,
                                            masterIndex: master, mtu: s["mtu"].flatMap { Int($0) }, hostUp: false))
        do {
            // A bridge port is layer 2 only: without IPv6 it sends no DAD, router
            // solicitations or MLD reports, which a large bridge floods to every port.
            try Sysctls.write("net.ipv6.conf.\(s.object).disable_ipv6", "1")
            try session.host.execute(SetLink(index: try index(of: s.object, in: hostNamespace),
                                             alias: s["alias"], up: true))
        } catch {
            _ = try? session.host.deleteLink(index: try index(of: s.object, in: hostNamespace), name: s.object)
            throw error
        }
        return Step(.deleteLink, s.object)
    }

    /// Applies up/mtu/mac/alias/master and returns the settings it replaced.
    func setLink(_ s: Step) throws -> Step {
        let sock = try session.socket(s.namespace)
        guard let cur = try sock.link(name: s.object) else {
            throw NetlinkError(operation: "RTM_GETLINK", object: "\(s.object) in \(sock.label)", errno: .noDevice)
        }
        var req = SetLink(index: cur.index)
        var old: [String: String] = [:]
        if let v = s["up"] { req.up = v == "true"; old["up"] = String(cur.up) }
        if let v = s["mtu"] { req.mtu = Int(v); old["mtu"] = String(cur.mtu) }
        if let v = s["mac"] { req.mac = MACAddress(v); old["mac"] = cur.mac?.description }
        if let v = s["alias"] { req.alias = v; old["alias"] = cur.alias ?? "" }
        if let v = s["master"] {
            // "" restores "no master" (IFLA_MASTER 0 unenslaves: `ip link set dev X nomaster`).
            req.masterIndex = v.isEmpty ? 0 : try index(of: v, in: hostNamespace)
            old["master"] = cur.master.flatMap { try? sock.link(index: $0)?.name } ?? ""
        }
        try sock.execute(req)
        return Step(.setLink, s.object, in: s.namespace, old)
    }

    func address(_ s: Step) throws -> Step {
        let sock = try session.socket(s.namespace)
        let p = IPPrefix(s["prefix"]!)!
        let i = try index(of: s.object, in: s.namespace)
        if s.action == .addAddress {
            try sock.addAddress(p, index: i, name: s.object)
            return Step(.deleteAddress, s.object, in: s.namespace, s.fields)
        }
        // The kernel drops the routes through an address with it; the undo puts them back.
        let before = try sock.routes().filter { $0.index == i && $0.proto != 2 }
        try sock.deleteAddress(p, index: i, name: s.object)
        let after = try sock.routes()
        let lost = before.filter { r in !after.contains(r) }
        pendingUndo.steps = lost.map { r in
            var f = ["to": r.destination.network.description, "metric": String(r.metric)]
            if let g = r.gateway { f["via"] = g.description }
            return Step(.addRoute, s.object, in: s.namespace, f)
        }
        return Step(.addAddress, s.object, in: s.namespace, s.fields)
    }

    func route(_ s: Step) throws -> Step {
        let sock = try session.socket(s.namespace)
        let r = RouteInfo(destination: IPPrefix(s["to"]!)!, gateway: s["via"].flatMap { IPAddress($0) },
                          index: try index(of: s.object, in: s.namespace), metric: Int(s["metric"] ?? "0") ?? 0)
        if s.action == .addRoute {
            try sock.addRoute(r, deviceName: s.object)
            return Step(.deleteRoute, s.object, in: s.namespace, s.fields)
        }
        try sock.deleteRoute(r, deviceName: s.object)
        return Step(.addRoute, s.object, in: s.namespace, s.fields)
    }
}
