import PlumbManifest

/// One kernel change. Steps are values: the planner makes them without
/// privileges, the applier executes them and records their undo.
public struct Step: Codable, Sendable, Equatable {
    public enum Action: String, Codable, Sendable {
        case setSysctl = "set-sysctl"
        case createNamespace = "create-netns"
        case deleteNamespace = "delete-netns"
        case createBridge = "create-bridge"
        case createVeth = "create-veth"
        case setLink = "set-link"
        case deleteLink = "delete-link"
        case addAddress = "add-address"
        case deleteAddress = "delete-address"
        case addRoute = "add-route"
        case deleteRoute = "delete-route"
        case replaceFirewall = "replace-nft-table"
        case deleteFirewall = "delete-nft-table"
        case setRings = "set-rings"
        case setChannels = "set-channels"
        case setCoalesce = "set-coalesce"
        case setOffload = "set-offload"
        case setIRQAffinity = "set-irq-affinity"
        case setNumVFs = "set-numvfs"
        case persistMaxVFs = "persist-max-vfs"
        case setVF = "set-vf"
        case moveVF = "move-vf"
        case returnVF = "return-vf"
    }

    public var action: Action
    /// The link, netns or sysctl the step is about.
    public var object: String
    public var namespace: NamespaceKey
    /// Action-specific values (kept as strings so plans print and compare simply).
    public var fields: [String: String]

    public init(_ action: Action, _ object: String, in namespace: NamespaceKey = hostNamespace,
                _ fields: [String: String] = [:]) {
        self.action = action; self.object = object; self.namespace = namespace; self.fields = fields
    }

    public subscript(_ key: String) -> String? { fields[key] }

    /// The step as the `ip` / `sysctl` command it equals — what an operator would have typed.
    public var command: String {
        let n = namespace == hostNamespace ? "ip" : "ip -n \(namespace)"
        switch action {
        case .setSysctl: return "sysctl -w \(object)=\(self["value"] ?? "")"
        case .createNamespace:
            return "ip netns add \(object)" + (self["ipv6"] == "off" ? " (lo up, IPv6 off)" : " (lo up)")
        case .deleteNamespace: return "ip netns delete \(object)"
        case .createBridge:
            return "ip link add \(object)" + (self["mac"].map { " address \($0)" } ?? "") + " type bridge"
                + (self["mtu"].map { " mtu \($0)" } ?? "")
        case .createVeth:
            return "ip link add \(object) master \(self["bridge"] ?? "?") up type veth peer name \(self["peer"] ?? "?") netns \(self["peerNamespace"] ?? "?")"
                + (self["mtu"].map { " mtu \($0)" } ?? "") + " (alias \(self["alias"] ?? "?"), IPv6 off on the bridge port)"
        case .setLink:
            var parts = ["\(n) link set dev \(object)"]
            if let v = self["mtu"] { parts.append("mtu \(v)") }
            if let v = self["mac"] { parts.append("address \(v)") }
            if let v = self["master"] { parts.append("master \(v)") }
            if let v = self["alias"] { parts.append("alias \(v)") }
            if let v = self["up"] { parts.append(v == "true" ? "up" : "down") }
            return parts.joined(separator: " ")
        case .deleteLink: return "\(n) link del dev \(object)"
        case .addAddress: return "\(n) addr add \(self["prefix"] ?? "?") dev \(object)"
        case .deleteAddress: return "\(n) addr del \(self["prefix"] ?? "?") dev \(object)"
        case .addRoute: return "\(n) route add \(routeText)"
        case .deleteRoute: return "\(n) route del \(routeText)"
        case .replaceFirewall: return "nft -f - (add table \(object); delete table \(object); table \(object) { … })"
        case .deleteFirewall: return "nft delete table \(object)"
        case .setRings: return "ethtool -G \(object)" + opts(["rx": "rx", "tx": "tx"])
        case .setChannels: return "ethtool -L \(object)" + opts(["combined": "combined", "rx": "rx", "tx": "tx"])
        case .setCoalesce:
            return "ethtool -C \(object)" + opts(["adaptiveRx": "adaptive-rx", "rxUsecs": "rx-usecs", "rxFrames": "rx-frames"])
        case .setOffload: return "ethtool -K \(object)" + opts(["gro": "gro"])
        case .setNumVFs: return "echo \(self["count"] ?? "?") > /sys/class/net/\(object)/device/sriov_numvfs"
        case .persistMaxVFs:
            if self["restore"] == "true" {
                return (self["old"] ?? "").isEmpty ? "rm \(object)" : "restore \(object) as it was"
            }
            return "echo 'options igb max_vfs=\(self["count"] ?? "?")' > \(object)"
        case .setVF:
            var parts = ["ip link set dev \(self["pf"] ?? "?") vf \(self["vf"] ?? "?")"]
            if let v = self["mac"] { parts.append("mac \(v)") }
            if let v = self["vlan"] {
                let p = v.split(separator: "/")
                parts.append("vlan \(p[0])" + (p.count > 1 && p[1] != "0" ? " qos \(p[1])" : "")
                             + (p.count > 2 && p[2] != "802.1Q" ? " proto \(p[2])" : ""))
            }
            if let v = self["spoofCheck"] { parts.append("spoofchk \(v == "true" ? "on" : "off")") }
            if let v = self["trust"] { parts.append("trust \(v == "true" ? "on" : "off")") }
            if let v = self["maxTxRate"] { parts.append("max_tx_rate \(v)") }
            if let v = self["linkState"] { parts.append("state \(v)") }
            return parts.joined(separator: " ")
        case .moveVF:
            return "ip link set dev \(self["hostName"] ?? "<VF \(self["vf"] ?? "?") of \(self["pf"] ?? "?")>") netns \(self["peerNamespace"] ?? "?") name \(self["name"] ?? "?")"
        case .returnVF:
            let name = (self["hostName"] ?? "").isEmpty ? "eth%d" : self["hostName"]!
            return "ip -n \(namespace) link set dev \(object) netns 1 name \(name)"
        case .setIRQAffinity:
            return "echo \(self["cpus"] ?? "?") > /proc/irq/\(object)/smp_affinity_list" + (self["queue"].map { "   (\($0))" } ?? "")
        }
    }

    /// " rx 4096 tx 4096" in a fixed order; booleans as on/off, as ethtool spells them.
    func opts(_ names: KeyValuePairs<String, String>) -> String {
        names.compactMap { (key, flag) in
            self[key].map { " \(flag) \($0 == "true" ? "on" : $0 == "false" ? "off" : $0)" }
        }.joined()
    }

    var routeText: String {
        let to = self["to"] ?? "?"
        let dst = to == "0.0.0.0/0" || to == "::/0" ? "default" : to
        return dst + (self["via"].map { " via \($0)" } ?? "") + " dev \(object)"
            + (self["metric"].map { $0 == "0" ? "" : " metric \($0)" } ?? "")
    }

    /// Short human text for plans: "+ web-eth0: create veth …".
    public var summary: String {
        let sign: String
        switch action {
        case .deleteNamespace, .deleteLink, .deleteAddress, .deleteRoute, .deleteFirewall: sign = "-"
        case .replaceFirewall: sign = "~"
        case .setLink, .setSysctl, .setRings, .setChannels, .setCoalesce, .setOffload, .setIRQAffinity,
             .setNumVFs, .persistMaxVFs, .setVF, .moveVF, .returnVF: sign = "~"
        default: sign = "+"
        }
        return "\(sign) \(command)" + (self["reason"].map { "   # \($0)" } ?? "")
    }
}

/// An ordered list of steps; empty when the kernel already matches.
public struct Plan: Codable, Sendable, Equatable {
    public var manifest: String
    public var steps: [Step]
    public var converged: Bool { steps.isEmpty }
    public init(manifest: String, steps: [Step]) { self.manifest = manifest; self.steps = steps }
}
