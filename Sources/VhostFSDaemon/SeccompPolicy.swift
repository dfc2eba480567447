import CLinux
import Glibc
import LinuxSystem

/// Builds the daemon's seccomp filter from `SystemCallAllowList` and loads it on every thread.
///
/// libseccomp rather than a hand-built BPF program: it resolves names for the running architecture (the table stays
/// one list of names), refuses calls of another ABI (i386 or x32 on x86_64) that a hand-written program must
/// remember to check, compiles argument conditions, orders the rules into a tree instead of a linear scan, and
/// offers TSYNC and SECCOMP_RET_LOG; a hand-built program would re-implement each of these.
enum SeccompPolicy {
    /// What was installed, for the start-up log.
    struct Installed: CustomStringConvertible {
        let mode: DaemonConfiguration.SeccompMode
        let allowed: Int
        let unknown: [String]

        var description: String {
            guard mode != .none else { return "seccomp none" }
            let unknownNote =
                unknown.isEmpty ? "" : " (unknown to libseccomp, skipped: \(unknown.joined(separator: ",")))"
            return "seccomp \(mode.rawValue) outside an allow-list of \(allowed) system calls\(unknownNote)"
        }
    }

    /// Why the filter could not be installed.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Installs the filter for `mode` (nothing for `.none`).
    ///
    /// Must run before the daemon starts its threads (it also sets TSYNC, so a thread started earlier would get
    /// it too). For `.trap`, a SIGSYS handler reports each blocked call on standard error (and on
    /// `reportDescriptor` when given) and makes it fail with ENOSYS.
    static func install(
        _ mode: DaemonConfiguration.SeccompMode, reportDescriptor: CInt? = nil
    ) throws(Failure) -> Installed {
        let defaultAction: SeccompFilter.Action
        switch mode {
        case .none: return Installed(mode: mode, allowed: 0, unknown: [])
        case .kill: defaultAction = .killProcess
        case .log: defaultAction = .log
        case .trap: defaultAction = .trap
        }
        do throws(Errno) {
            let filter = try SeccompFilter(defaultAction: defaultAction)
            var unknown: [String] = []
            var allowed = Set<String>()
            for row in SystemCallAllowList.rows {
                guard let number = SeccompFilter.systemCallNumber(row.name) else {
                    unknown.append(row.name)
                    continue
                }
                try filter.add(row.action, systemCall: number, when: row.conditions)
                if row.action == .allow { allowed.insert(row.name) }
            }
            try filter.synchronizeAllThreads(true)
            try filter.useBinaryTree()
            // The daemon never makes a 32-bit call: one would be injected code, whatever --seccomp says.
            try filter.setForeignArchitectureAction(.killProcess)
            if mode == .trap {
                let r = CLinux_install_sigsys_reporter(2, reportDescriptor ?? -1, systemCallNames.baseAddress,
                                                       CInt(systemCallNames.count))
                if r < 0 { throw Errno(rawValue: -r) }
            }
            try filter.load()
            return Installed(mode: mode, allowed: allowed.count, unknown: unknown)
        } catch {
            throw Failure(description: "cannot install the seccomp filter (--seccomp=\(mode.rawValue)): \(error)")
        }
    }

    /// Names of system calls 0..<512 for the SIGSYS reporter, resolved once and never freed (the handler may run at
    /// any time).
    // SAFETY: written once on first use (before the filter is loaded, on the one thread) and only read after.
    private nonisolated(unsafe) static let systemCallNames: UnsafeMutableBufferPointer<UnsafePointer<CChar>?> = {
        let table = UnsafeMutableBufferPointer<UnsafePointer<CChar>?>.allocate(capacity: 512)
        for number in 0..<table.count {
            table[number] = SeccompFilter.systemCallName(CInt(number)).flatMap { UnsafePointer(strdup($0)) }
        }
        return table
    }()
}
