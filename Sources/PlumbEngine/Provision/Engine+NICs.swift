import PlumbManifest

extension Engine {
    /// Whether the NIC a manifest selects has a netdev now, i.e. its driver has bound:
    /// by name through netlink in Plumb's own namespace (sysfs shows the namespace that
    /// mounted it, which need not be ours), by PCI address or MAC through sysfs, where
    /// PCI devices live whatever the namespace.
    public func nicPresent(_ selector: NIC.Selector) -> Bool {
        switch selector {
        case .name(let n):
            guard let found = try? kernel.links(in: .host).link(name: n) else { return false }
            return found != nil
        case .pci, .mac:
            return (try? kernel.sriov.findPF(selector.pfSelector)) != nil
        }
    }
}
