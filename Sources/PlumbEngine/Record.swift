import PlumbManifest

/// What Plumb created for one manifest: the ownership record in /run/plumb/NAME.json.
/// `destroy` removes exactly these objects (and restores the sysctls), never a
/// thing that merely has a matching name (STYLE.md §7).
public struct OwnershipRecord: Codable, Sendable, Equatable {
    public struct OwnedLink: Codable, Sendable, Hashable {
        public var namespace: NamespaceKey
        public var name: String
        public var kind: String
        /// For a veth host end: the namespace of its peer. Deleting that namespace
        /// (when it is ours) removes the pair without a slow RTM_DELLINK.
        public var peerNamespace: NamespaceKey?
        public init(namespace: NamespaceKey, name: String, kind: String, peerNamespace: NamespaceKey? = nil) {
            self.namespace = namespace; self.name = name; self.kind = kind; self.peerNamespace = peerNamespace
        }
    }

    public var manifest: String
    /// Named namespaces Plumb created (pre-existing ones are used, never deleted).
    public var namespaces: [String]
    public var links: [OwnedLink]
    /// Original value of every sysctl Plumb changed, restored by destroy.
    public var sysctls: [String: String]
    /// The nftables table Plumb created for this manifest ("inet plumb_demo").
    public var firewallTable: String?
    /// Original tuning values Plumb replaced, per NIC ("eth1" → "rx" → "256"),
    /// and per IRQ ("irq 42" → "cpus" → "0-1"); destroy sets them back.
    public var nicOriginals: [String: [String: String]] = [:]
    /// VFs moved into containers; destroy moves them back under their old names.
    public var movedVFs: [MovedVF] = []
    /// The modprobe.d file `persist` wrote, and its text before (restored by destroy).
    public var modprobe: [String: String] = [:]
    /// Every sysctl this manifest needs (declared, or implied by NAT), changed or not:
    /// another manifest's destroy must not restore a value this one relies on.
    public var requiredSysctls: [String: String] = [:]

    public init(manifest: String, namespaces: [String] = [], links: [OwnedLink] = [], sysctls: [String: String] = [:],
                firewallTable: String? = nil) {
        self.manifest = manifest; self.namespaces = namespaces; self.links = links; self.sysctls = sysctls
        self.firewallTable = firewallTable
    }

    enum CodingKeys: String, CodingKey {
        case manifest, namespaces, links, sysctls, firewallTable, nicOriginals, movedVFs, modprobe, requiredSysctls
    }

    /// Reads records written by older versions too: later fields may be absent.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        manifest = try c.decode(String.self, forKey: .manifest)
        namespaces = try c.decodeIfPresent([String].self, forKey: .namespaces) ?? []
        links = try c.decodeIfPresent([OwnedLink].self, forKey: .links) ?? []
        sysctls = try c.decodeIfPresent([String: String].self, forKey: .sysctls) ?? [:]
        firewallTable = try c.decodeIfPresent(String.self, forKey: .firewallTable)
        nicOriginals = try c.decodeIfPresent([String: [String: String]].self, forKey: .nicOriginals) ?? [:]
        movedVFs = try c.decodeIfPresent([MovedVF].self, forKey: .movedVFs) ?? []
        modprobe = try c.decodeIfPresent([String: String].self, forKey: .modprobe) ?? [:]
        requiredSysctls = try c.decodeIfPresent([String: String].self, forKey: .requiredSysctls) ?? [:]
    }

    public var isEmpty: Bool {
        namespaces.isEmpty && links.isEmpty && sysctls.isEmpty && firewallTable == nil && nicOriginals.isEmpty
            && movedVFs.isEmpty && modprobe.isEmpty && requiredSysctls.isEmpty
    }

    public func owns(link name: String, in ns: NamespaceKey) -> Bool {
        links.contains { $0.name == name && $0.namespace == ns }
    }

    /// The record once `steps` have been applied: creations join it, the first
    /// original value of a sysctl is kept, deletions leave it.
    public func adding(_ steps: [Step]) -> OwnershipRecord {
        var r = self
        for s in steps {
            switch s.action {
            case .createNamespace where !r.namespaces.contains(s.object): r.namespaces.append(s.object)
            case .createBridge:
                r.insert(OwnedLink(namespace: s.namespace, name: s.object, kind: "bridge"))
            case .createVeth:
                r.insert(OwnedLink(namespace: s.namespace, name: s.object, kind: "veth", peerNamespace: s["peerNamespace"]))
                r.insert(OwnedLink(namespace: s["peerNamespace"] ?? "?", name: s["peer"] ?? "?", kind: "veth-peer"))
            case .setSysctl where r.sysctls[s.object] == nil: r.sysctls[s.object] = s["old"] ?? ""
            case .setRings, .setChannels, .setCoalesce, .setOffload, .setIRQAffinity, .setVF:
                r.rememberOriginals(s)
            case .setNumVFs:
                // Only the count before Plumb's first change is restored, and only if
                // Plumb changed it; a restore that brings it back drops it.
                if s["reason"] == "restore" { r.nicOriginals[s.object]?["set-numvfs.count"] = nil }
                else if r.nicOriginals[s.object]?["set-numvfs.count"] == nil {
                    r.nicOriginals[s.object, default: [:]]["set-numvfs.count"] = s["old"]
                }
                if r.nicOriginals[s.object]?.isEmpty == true { r.nicOriginals[s.object] = nil }
            case .persistMaxVFs where s["restore"] == "true": r.modprobe[s.object] = nil
            case .persistMaxVFs where r.modprobe[s.object] == nil: r.modprobe[s.object] = s["old"] ?? ""
            case .moveVF:
                r.movedVFs.append(MovedVF(pf: s["pf"]!, index: Int(s["vf"]!)!, namespace: s["peerNamespace"]!,
                                          name: s["name"]!, hostName: s["hostName"] ?? ""))
            case .returnVF: r.movedVFs.removeAll { $0.namespace == s.namespace && $0.name == s.object }
            case .replaceFirewall: r.firewallTable = s.object
            case .deleteFirewall: r.firewallTable = nil
            case .deleteNamespace: r.namespaces.removeAll { $0 == s.object }
            case .deleteLink:
                let gone = r.links.filter { $0.name == s.object && $0.namespace == s.namespace }
                r.links.removeAll { l in gone.contains(l) || gone.contains { g in g.kind == "veth" && l.kind == "veth-peer" && l.namespace == g.peerNamespace } }
            default: break
            }
        }
        return r
    }

    /// Keeps the first-seen `old.*` value of each tuning setting; a restore step
    /// (reason "restore") that brings it back drops it.
    mutating func rememberOriginals(_ s: Step) {
        let key = s.action == .setIRQAffinity ? "irq \(s.object)" : s.object
        var o = nicOriginals[key] ?? [:]
        for (k, v) in s.fields where k.hasPrefix("old.") {
            // "set-rings.rx", "set-channels.rx": the same word in different settings.
            let name = "\(s.action.rawValue).\(k.dropFirst(4))"
            if s["reason"] == "restore" { o[name] = nil } else if o[name] == nil { o[name] = v }
        }
        nicOriginals[key] = o.isEmpty ? nil : o
    }

    mutating func insert(_ l: OwnedLink) { if !links.contains(l) { links.append(l) } }
}
