import PlumbNetlink
import PlumbTypes

/// Dictionaries over the planner's inputs, built once: a plan for thousands of
/// containers looks up a link, a namespace or a record entry per interface, and a
/// linear search each time made planning quadratic.
struct PlanIndex {
    struct LinkKey: Hashable { var namespace: NamespaceRef; var name: String }

    let hostLinks: [String: LinkInfo]
    let hostLinksByIndex: [Int: LinkInfo]
    let namespaces: [NamespaceRef: ObservedNamespace]
    let recordLinks: [LinkKey: LinkEntry]
    let recordNamespaces: [NamespaceRef: NamespaceEntry]

    init(observed: ObservedState, record: Record) {
        hostLinks = Dictionary(observed.host.links.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        hostLinksByIndex = Dictionary(observed.host.links.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a })
        namespaces = Dictionary(observed.namespaces.map { ($0.ref, $0) }, uniquingKeysWith: { a, _ in a })
        recordLinks = Dictionary(record.links.map { (LinkKey(namespace: $0.link.namespace, name: $0.link.name), $0) },
                                 uniquingKeysWith: { a, _ in a })
        recordNamespaces = Dictionary(record.namespaces.map { ($0.ref, $0) }, uniquingKeysWith: { a, _ in a })
    }

    func recordLink(_ name: String, in ns: NamespaceRef) -> LinkEntry? { recordLinks[LinkKey(namespace: ns, name: name)] }
}
