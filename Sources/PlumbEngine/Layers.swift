import PlumbManifest

/// How the runtime front ends split a manifest: the host layer (bridges, NICs,
/// sysctls, masquerade) is shared by every container and lives under the
/// manifest's own name; each container is a layer of its own, `NAME--CONTAINER`,
/// created when the runtime starts it and removed when it stops — without ever
/// touching the bridge the other containers still use.
public enum Layers {
    public static func host(_ m: Manifest) -> Manifest {
        var h = m
        h.containers = []
        return h
    }

    public static func containerName(_ manifest: String, _ container: String) -> String { "\(manifest)--\(container)" }

    /// The layer of one container, in the namespace the runtime gives it.
    public static func container(_ m: Manifest, _ c: Container, netns: NetnsRef?) -> Manifest {
        var layer = m
        var c = c
        if let netns { c.netns = netns }
        layer.name = containerName(m.name, c.name)
        layer.containers = [c]
        layer.host = Host()
        layer.hostLayerManagedElsewhere = true
        return layer
    }
}
