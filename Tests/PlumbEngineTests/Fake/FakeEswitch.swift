import PlumbEngine
import PlumbSystem
import PlumbTypes

/// A PF's devlink device on the fake kernel: its handle and eswitch mode. In switchdev
/// mode each enabled VF has a representor, named `<pf>r<N>` here.
struct FakeEswitchDevice: Equatable {
    var handle: DevlinkHandle
    var mode: EswitchMode = .legacy
}

final class FakeEswitch: EswitchOps {
    let kernel: FakeKernel
    init(kernel: FakeKernel) { self.kernel = kernel }

    func eswitch(of pf: String) -> EswitchState {
        guard let d = kernel.eswitches[pf] else {
            return EswitchState(unsupported: "its driver registers no devlink device (DEVLINK_CMD_ESWITCH_GET: ENODEV)")
        }
        let vfs = d.mode == .switchdev ? (kernel.pfs[pf]?.numVFs ?? 0) : 0
        return EswitchState(handle: d.handle, mode: d.mode, representors: (0..<vfs).map { "\(pf)r\($0)" })
    }

    func setEswitchMode(_ h: DevlinkHandle, _ mode: EswitchMode, pf: String) throws {
        guard let name = kernel.eswitches.first(where: { $0.value.handle == h })?.key else {
            throw SystemError("DEVLINK_CMD_ESWITCH_SET", h.description, .noDevice)
        }
        try kernel.enter("setEswitchMode") { SystemError("DEVLINK_CMD_ESWITCH_SET", h.description, $0) }
        kernel.eswitches[name]?.mode = mode
    }
}
