#if canImport(Glibc)
import Glibc
#endif

/// The process's open-file limit. Every connection and every open blob takes a file
/// descriptor, and service managers start processes with a soft limit of 1,024 (while
/// allowing far more), so `ferry serve` raises its soft limit to the hard limit at
/// start-up: the hard limit (`LimitNOFILE=` in systemd, the container runtime's
/// `nofile` ulimit) is the operator's setting.
public enum FileDescriptorLimit {
    /// Raises the soft limit to the hard limit; returns the limits in force afterwards.
    @discardableResult
    public static func raiseToHardLimit() -> (soft: UInt64, hard: UInt64) {
        #if canImport(Glibc)
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (0, 0) }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return (UInt64(limit.rlim_cur), UInt64(limit.rlim_max))
        #else
        return (0, 0)
        #endif
    }
}
