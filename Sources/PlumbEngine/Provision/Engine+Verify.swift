import PlumbManifest
import PlumbTypes

extension Engine {
    /// Verifies a manifest as a user sees it: its own layer, and each container entry
    /// the OCI hook provisions (it has no netns) in the container it is bound to now —
    /// or a skip saying no container runs that entry.
    public func verifyManifest(_ m: Manifest, identity: ManifestIdentity) throws -> VerifyReport {
        var own = m
        own.containers = m.containers.filter { $0.netns != nil }
        let report = try verify(.manifest(own, identity: identity))
        var containers = report.containers
        for c in m.containers where c.netns == nil {
            if let r = try store.load(.hookContainer(identity, container: c.name)), let ns = r.namespaces.first?.ref {
                containers += try verify(.hookContainer(m, identity: identity, container: c, netns: ns)).containers
            } else {
                containers.append(ContainerReport(name: c.name, netns: "", checks: [
                    Check("container", nil, .skip, expected: "a running container (OCI hook)", observed: "no container runs this entry", evidence: [.records]),
                ]))
            }
        }
        return VerifyReport(manifest: report.manifest, containers: containers, host: report.host, nics: report.nics)
    }
}
