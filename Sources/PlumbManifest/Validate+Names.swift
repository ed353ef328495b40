import PlumbTypes
/// Names the kernel or plumb would refuse, caught before anything is created.
extension Checks {
    mutating func checkNames() {
        checkManifestName()
        checkSysctlKeys()
        checkNICNames()
        for (i, b) in m.bridges.enumerated() { interfaceName(b.name, at: "bridges[\(i)].name") }
        for (ci, c) in m.containers.enumerated() { checkContainerNames(c, at: "containers[\(ci)]") }
    }

    mutating func checkManifestName() {
        guard !NameRules.isValidManifestName(m.name) else { return }
        report("name", "\"\(m.name)\" is not a valid manifest name (1-32 of a-z 0-9 . _ -, starting with a letter or digit)")
    }

    mutating func checkSysctlKeys() {
        for s in m.host.sysctl {
            // A network manifest has no business with kernel.core_pattern and friends.
            if let why = SysctlKeys.problem(s.key) { report("host.sysctl.\(s.key)", why) }
        }
    }

    mutating func checkNICNames() {
        for (i, nic) in m.nics.enumerated() {
            switch nic.selector {
            case .name(let n): interfaceName(n, at: "nics[\(i)].name")
            case .pci(let p) where !NameRules.isValidPCIAddress(p):
                report("nics[\(i)].match.pci", "\"\(p)\" is not a PCI address like 0000:01:00.0")
            default: break
            }
        }
    }

    mutating func checkContainerNames(_ c: Container, at path: String) {
        if !NameRules.isValidContainerName(c.name) {
            report(path + ".name", "\"\(c.name)\" is not a valid container name (1-64 of A-Z a-z 0-9 . _ -)")
        }
        checkNetns(c.netns, at: path + ".netns")
        for (i, iface) in c.interfaces.enumerated() {
            let ip = "\(path).interfaces[\(i)]"
            interfaceName(iface.name, at: ip + ".name")
            if case .veth(_, let host?) = iface.kind { interfaceName(host, at: ip + ".veth.hostName") }
            switch iface.kind {
            case .macvlan(let parent, _): interfaceName(parent, at: ip + ".macvlan.parent")
            case .ipvlan(let parent, _, _): interfaceName(parent, at: ip + ".ipvlan.parent")
            case .vlan(let parent, _, _): interfaceName(parent, at: ip + ".vlan.parent")
            case .veth, .vf, .userspaceVF: break
            }
        }
    }

    mutating func checkNetns(_ netns: NamespaceRef?, at path: String) {
        switch netns {
        case nil where requireNetns:
            report(path, "missing: give a name, {pid: N} or {path: ...} (only the OCI hook may leave it out)")
        case .named(let n) where !NameRules.isValidNetnsName(n):
            report(path, "\"\(n)\" is not a valid netns name (1-64 of A-Z a-z 0-9 . _ -, not . or ..)")
        case .pid(let pid) where pid <= 0:
            report(path + ".pid", "\(pid) is not a process id (must be > 0)")
        case .path(let p) where NetnsPath.parse(p) == nil:
            report(path + ".path", "\"\(p)\" is not a netns path; use /run/netns/NAME or /proc/PID/ns/net")
        case .host:
            report(path, "the host's own network namespace is never a container's")
        case nil, .named, .pid, .path: break
        }
    }

    mutating func interfaceName(_ name: String, at path: String) {
        guard let why = InterfaceNames.problem(name) else { return }
        report(path, "\"\(name)\" is not a valid interface name: \(why)")
    }
}

/// The two nsfs paths plumb accepts, seen as the named or pid form they stand for, so that
/// `{path: /run/netns/web}` and `web` count as the same namespace.
enum NetnsPath {
    static func parse(_ path: String) -> NamespaceRef? {
        guard !path.contains("..") else { return nil }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 4, parts[0].isEmpty, parts[1] == "run", parts[2] == "netns",
           NameRules.isValidNetnsName(String(parts[3])) {
            return .named(String(parts[3]))
        }
        if parts.count == 5, parts[0].isEmpty, parts[1] == "proc", parts[3] == "ns", parts[4] == "net",
           let pid = NodeReader.decimal(String(parts[2])), pid > 0, !parts[2].hasPrefix("+") {
            return .pid(pid)
        }
        return nil
    }

    /// The namespace a reference means, for duplicate detection.
    static func canonical(_ ref: NamespaceRef) -> NamespaceRef {
        if case .path(let p) = ref, let same = parse(p) { return same }
        return ref
    }
}
