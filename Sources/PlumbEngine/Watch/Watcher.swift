import Foundation
import PlumbManifest
import PlumbNetlink
import PlumbTypes

/// One manifest the watcher keeps converged.
public struct WatchedManifest: Sendable {
    public var path: String
    public var layer: Layer
    public var name: String { layer.owner.displayName }
    public init(path: String, layer: Layer) { self.path = path; self.layer = layer }

    /// The namespaces whose changes matter to it: its containers' (a hook entry has none).
    var namespaces: [NamespaceRef] { layer.manifest.containers.compactMap(\.netns) }
}

/// `plumb watch`: a reconciler with no polling. It sleeps in poll(2) until the kernel
/// reports a change (or an operator signals), lets a burst settle, re-plans each manifest,
/// repairs drift through the same apply as the CLI (or only reports it), verifies what it
/// repaired, and logs one line per repair. Its own changes echo back as events: it drops
/// them after each repair, and a re-plan of a converged manifest changes nothing, so it
/// never chases its own tail. A repair that keeps failing is retried with exponential
/// backoff, driven by the poll timeout, not by a timer that wakes for nothing.
public final class Watcher {
    public struct Options: Sendable {
        public var reportOnly = false
        /// How long a burst of events must be quiet before the re-plan.
        public var settle: Duration = .milliseconds(30)
        /// The longest a burst is allowed to delay the re-plan.
        public var settleAtMost: Duration = .milliseconds(250)
        public var backoffFirst: Duration = .seconds(1)
        public var backoffMost: Duration = .seconds(60)
        /// Log every burst of events, also those that needed no repair.
        public var verbose = false
        public init() {}
    }

    let options: Options
    let events: any WatchEvents
    let makeEngine: () throws -> Engine
    let log: (String) -> Void
    let clock = ContinuousClock()
    var manifests: [WatchedManifest] = []
    var health: [String: ManifestHealth] = [:]
    /// What the metrics endpoint reads, from another thread.
    public let status: WatchStatus

    /// `countersPath`: where the repair counters are kept for `plumb metrics` (nil: memory only).
    public init(options: Options, events: any WatchEvents, countersPath: String? = nil, log: @escaping (String) -> Void,
                makeEngine: @escaping () throws -> Engine) {
        self.options = options; self.events = events; self.log = log; self.makeEngine = makeEngine
        status = WatchStatus(countersPath: countersPath)
    }

    /// Runs until SIGTERM/SIGINT. `load` reads the manifests (again on SIGHUP).
    public func run(load: () -> [WatchedManifest]) {
        start(load())
        var wake = events.next(timeout: timeUntilRetry())
        while true {
            switch wake {
            case .stop:
                log("stopping (signal); \(status.totals())")
                return
            case .reload:
                log("reloading manifests (SIGHUP)")
                start(load())
            case .timeout:
                reconcile(manifests.filter { health[$0.path]?.due(clock.now) ?? false }, cause: "retry after backoff")
            case .events(let first):
                let (burst, signal) = settle(first)
                if !burst.isEmpty {
                    if options.verbose { log("events: \(burst.map(\.description).joined(separator: "; "))") }
                    reconcile(manifests, cause: Self.summary(burst))
                }
                // A signal that came while the burst settled is handled next, never lost.
                if let signal { wake = signal; continue }
            }
            wake = events.next(timeout: timeUntilRetry())
        }
    }

    /// A fresh start (at launch, on SIGHUP): every manifest planned, repaired if drifted,
    /// verified once so the metrics have a report.
    func start(_ loaded: [WatchedManifest]) {
        manifests = loaded
        health = health.filter { entry in loaded.contains { $0.path == entry.key } }
        status.keep(only: loaded.map(\.name))
        log("watching \(loaded.count) manifest\(loaded.count == 1 ? "" : "s")\(options.reportOnly ? " (report only)" : ""): "
            + loaded.map(\.path).joined(separator: ", "))
        for m in loaded { health[m.path] = ManifestHealth() }
        reconcile(loaded, cause: "start", verifyConverged: true)
        let drifted = status.snapshot().filter { $0.value.driftSteps > 0 }.count
        log("ready: \(loaded.count - drifted) converged, \(drifted) drifted\(options.reportOnly ? " (report only)" : "")")
    }

    /// Collects the rest of a burst: until `settle` passes with no event, at most
    /// `settleAtMost`. A signal ends the burst and is returned to be handled.
    func settle(_ first: [KernelEvent]) -> (burst: [KernelEvent], signal: WatchWake?) {
        var burst = first
        let deadline = clock.now.advanced(by: options.settleAtMost)
        while clock.now < deadline {
            switch events.next(timeout: min(options.settle, clock.now.duration(to: deadline))) {
            case .events(let more) where !more.isEmpty: burst += more
            case .events, .timeout: return (burst, nil)
            case let signal: return (burst, signal)
            }
        }
        return (burst, nil)
    }

    /// The wait until the earliest held-back repair, nil when none.
    func timeUntilRetry() -> Duration? {
        let due = health.values.compactMap(\.retryAt).min()
        return due.map { max(.zero, clock.now.duration(to: $0)) }
    }

    /// Re-plans each manifest and repairs what drifted. One engine per pass: it holds no
    /// namespace handle between passes (a cached handle would keep a deleted namespace alive).
    /// The events a repair causes are dropped as echoes; a change someone else made in the
    /// same moment would be dropped with them, so each repaired manifest is planned once more
    /// (reads only) and repaired again if it drifted — at most `rounds` times in a row, so
    /// a tool that undoes Plumb's work at once is not fought forever.
    func reconcile(_ list: [WatchedManifest], cause: String, verifyConverged: Bool = false, rounds: Int = 3) {
        guard !list.isEmpty else { return }
        let engine: Engine
        do { engine = try makeEngine() } catch { log("cannot open the kernel: \(error)"); return }
        var outcomes: [(m: WatchedManifest, outcome: PassOutcome)] = []
        for m in list where !(health[m.path]?.held(clock.now) ?? false) {
            outcomes.append((m, reconcile(m, engine: engine, cause: cause, verifyConverged: verifyConverged)))
        }
        // Only namespaces just proven Plumb's (their manifest planned without refusal) get
        // an id: a foreign namespace that took a name is not marked, even that way.
        events.follow(list.filter { health[$0.path]?.failures == 0 }.flatMap(\.namespaces))
        guard outcomes.contains(where: { $0.outcome != .untouched }) else { return }
        events.discardPending()
        // Only a repair is confirmed: a failure waits for its backoff, a verify changed nothing.
        let drifted = outcomes.filter { $0.outcome == .repaired }.map(\.m).filter { m in
            !(health[m.path]?.held(clock.now) ?? false) && !((try? engine.plan(m.layer).converged) ?? true)
        }
        if rounds > 1 { reconcile(drifted, cause: "a change during the repair", rounds: rounds - 1) }
        else if !drifted.isEmpty { log("giving up for now on \(drifted.map(\.name).joined(separator: ", ")): changed again during each of 3 repairs; the next change retries") }
    }

    /// What one manifest's pass did to the kernel: whether echoes follow, and whether to confirm.
    enum PassOutcome { case untouched, verified, repaired, failed }

    func reconcile(_ m: WatchedManifest, engine: Engine, cause: String, verifyConverged: Bool) -> PassOutcome {
        let started = clock.now
        if let gone = goneContainers(m, engine) {
            if health[m.path]?.gone != gone {
                health[m.path]?.gone = gone
                log("\(m.name): \(gone); its network namespace went with it and is not recreated "
                    + "(only a named netns is Plumb's to make); `plumb destroy \(m.path)` removes what is left")
            }
            return .untouched
        }
        do {
            let plan = try engine.plan(m.layer)
            status.drift(m.name, steps: plan.steps.count)
            if plan.converged {
                health[m.path]?.succeeded()
                health[m.path]?.reportedDrift = nil
                guard verifyConverged else { return .untouched }
                record(m, try engine.verify(m.layer), started: started, what: nil)
                return .verified
            }
            if options.reportOnly {
                // The same drift is said (and verified) once, not at every event after it.
                let drift = plan.steps.map(\.action.command)
                guard health[m.path]?.reportedDrift != drift else { return .untouched }
                health[m.path]?.reportedDrift = drift
                log("drift in \(m.name) (\(m.path)) after \(cause): \(Self.count(plan.steps.count, "step")) pending: "
                    + Self.steps(plan) + " (report only: nothing changed)")
                // Verified as it is, so the metrics show what the drift does to the path.
                record(m, try engine.verify(m.layer), started: started, what: nil)
                return .verified
            }
            let applied = try engine.apply(m.layer)
            status.drift(m.name, steps: 0)
            record(m, try engine.verify(m.layer), started: started, what: (cause, applied))
            return .repaired
        } catch {
            let wait = health[m.path, default: ManifestHealth()].failed(at: clock.now, first: options.backoffFirst, most: options.backoffMost)
            status.repaired(m.name, ok: false)
            log("repair of \(m.name) (\(m.path)) failed after \(cause), \(health[m.path]?.failures ?? 1) in a row: "
                + "\(error); next attempt in \(Self.seconds(wait)) s or at the next change")
            return .failed
        }
    }

    /// The containers whose namespace belongs to something else that has ended: a process
    /// that exited (`netns: {pid: N}`), a bind mount that is gone (`{path: …}`). Nil when none.
    func goneContainers(_ m: WatchedManifest, _ engine: Engine) -> String? {
        let gone = m.layer.manifest.containers.compactMap { c -> String? in
            switch c.netns {
            case .pid(let pid)?:
                return ((try? engine.kernel.process(pid)) ?? nil) == nil ? "container \(c.name)'s process \(pid) is gone" : nil
            case .path(let path)?:
                return ((try? engine.kernel.identity(of: .path(path))) ?? nil) == nil ? "container \(c.name)'s namespace \(path) is gone" : nil
            case .named?, .host?, nil:
                return nil
            }
        }
        return gone.isEmpty ? nil : gone.joined(separator: ", ")
    }

    /// Logs a repair (or a start's verify) and keeps its report for the metrics.
    func record(_ m: WatchedManifest, _ report: VerifyReport, started: ContinuousClock.Instant, what: (cause: String, plan: Plan)?) {
        status.verified(m.name, report)
        let took = Self.milliseconds(started.duration(to: clock.now))
        let verdict = report.ok ? "verify OK" : "verify FAILED: " + Self.failures(report)
        if let what {
            health[m.path]?.succeeded()
            status.repaired(m.name, ok: report.ok)
            log("repaired \(m.name) in \(took) ms after \(what.cause): \(Self.count(what.plan.steps.count, "step")): \(Self.steps(what.plan)); \(verdict)")
        } else if !report.ok {
            log("\(m.name) (\(m.path)): \(verdict)")
        }
    }
}
