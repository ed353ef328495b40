import CNetlink
import Glibc

/// libnl's NLE_* → errno, for failures libnl detects itself (not the kernel, whose
/// own errno the error callback captures). One mapping for every socket kind.
func errnoFromLibnl(_ nle: Int32) -> Int32 {
    switch nle {
    case NLE_NOMEM: return ENOMEM
    case NLE_EXIST: return EEXIST
    case NLE_OBJ_NOTFOUND, NLE_NODEV: return ENODEV
    case NLE_INVAL, NLE_MISSING_ATTR, NLE_MSGSIZE: return EINVAL
    case NLE_OPNOTSUPP: return EOPNOTSUPP
    case NLE_PERM, NLE_NOACCESS: return EPERM
    case NLE_BUSY: return EBUSY
    case NLE_RANGE: return ERANGE
    case NLE_AGAIN: return EAGAIN
    default: return EIO
    }
}
