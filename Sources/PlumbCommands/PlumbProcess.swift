import PlumbSystem

/// What the process sets up before any front end runs.
public enum PlumbProcess {
    /// Raises the descriptor limit as far as the hard limit allows (thousands of
    /// namespaces each hold descriptors while Plumb works in them).
    public static func prepare() {
        ResourceLimits.raiseDescriptors()
        ResourceLimits.ignoreBrokenPipes()
        ResourceLimits.lineBufferStandardOutput()
    }
}
