import PlumbManifest

extension ObservedState {
    /// `eswitches` as a dictionary (absent in observations recorded before eswitches were read).
    public var eswitch: [String: EswitchState] {
        get { eswitches ?? [:] }
        set { eswitches = newValue.isEmpty ? nil : newValue }
    }
}

extension Observer {
    /// The eswitch of each PF whose mode the layer declares, and of each the record changed.
    func observeEswitches(_ layer: Layer, record: Record?, into state: inout ObservedState) {
        guard layer.managesHost else { return }
        for nic in layer.manifest.nics where nic.sriov?.eswitchMode != nil {
            guard let name = state.pfs[nic.reference]?.pf?.name else { continue }
            state.eswitch[name] = kernel.eswitch.eswitch(of: name)
        }
        for e in record?.eswitches ?? [] where state.eswitch[e.pf] == nil {
            state.eswitch[e.pf] = kernel.eswitch.eswitch(of: e.pf)
        }
    }
}
