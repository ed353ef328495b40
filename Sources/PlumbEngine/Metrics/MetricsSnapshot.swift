import PlumbNetlink
import PlumbSystem

/// What one scrape read from the kernel, typed: the collector fills it, the renderer
/// (pure) turns it into text. Nothing here is a label yet.
public struct MetricsSnapshot: Sendable {
    public var manifests: [ManifestMetrics]
    /// /proc/net/softnet_stat per CPU; empty when unreadable.
    public var softnet: [SoftnetCPU]
    /// What could not be read, for a human reading the output (never a label).
    public var problems: [String]
    /// Manifest files of the directories measured that were refused (invalid): they have no
    /// name to label them with, only a count (their errors are among `problems`).
    public var refusedManifests: Int

    public init(manifests: [ManifestMetrics] = [], softnet: [SoftnetCPU] = [], problems: [String] = [],
                refusedManifests: Int = 0) {
        self.manifests = manifests; self.softnet = softnet; self.problems = problems
        self.refusedManifests = refusedManifests
    }
}

/// One manifest's readings.
public struct ManifestMetrics: Sendable {
    public var name: String
    /// The verify report; nil when verify could not run (an error, not a failing check).
    public var verify: VerifyReport?
    /// Steps the plan would take now (0 = converged); nil when planning failed.
    public var planSteps: Int?
    public var interfaces: [InterfaceCounters]
    public var vfs: [VFCounters]
    public var watch: WatchCounters.Entry

    public init(name: String, verify: VerifyReport? = nil, planSteps: Int? = nil, interfaces: [InterfaceCounters] = [],
                vfs: [VFCounters] = [], watch: WatchCounters.Entry = .init()) {
        self.name = name; self.verify = verify; self.planSteps = planSteps
        self.interfaces = interfaces; self.vfs = vfs; self.watch = watch
    }
}

/// A container interface's kernel counters (rtnetlink link statistics).
public struct InterfaceCounters: Sendable, Equatable {
    public var container: String
    public var interface: String
    public var stats: LinkStats
    public init(container: String, interface: String, stats: LinkStats) {
        self.container = container; self.interface = interface; self.stats = stats
    }
}

/// One VF's counters as its PF reports them.
public struct VFCounters: Sendable, Equatable {
    public var pf: String
    public var stats: VFStats
    public init(pf: String, stats: VFStats) { self.pf = pf; self.stats = stats }
}
