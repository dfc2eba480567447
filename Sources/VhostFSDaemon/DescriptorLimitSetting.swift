import LinuxSystem
import Logging

/// Sets RLIMIT_NOFILE at start as `--rlimit-nofile` asks and logs what was obtained (virtiofsd raises it too: a
/// guest that knows many files, or opens many, needs descriptors).
///
/// Two steps, because of the sandbox: `apply` runs first thing, in the process that becomes the supervisor, so that
/// both it and the sandboxed daemon inherit the limit (and a hard limit can only be raised outside any user
/// namespace); `report` runs in the daemon once it is confined, and logs the limit that process really has (a log
/// line before the sandbox would also break the one-line message of a sandbox that cannot be entered).
enum DescriptorLimitSetting {
    /// What `apply` did, for `report`.
    struct Outcome: Sendable {
        /// The setting applied.
        let setting: DaemonConfiguration.DescriptorLimit
        /// The limit before (nil: it could not be read).
        let before: ResourceLimit?
        /// A warning for the log: the limit could not be read, or the hard limit not raised.
        let warning: String?
    }

    /// Applies `setting` to the calling process.
    ///
    /// `.exactly(n)` above the hard limit raises the hard limit too, which needs CAP_SYS_RESOURCE; without it the
    /// soft limit goes to the hard one and the outcome carries a warning.
    static func apply(_ setting: DaemonConfiguration.DescriptorLimit) -> Outcome {
        let before: ResourceLimit
        do { before = try ResourceLimit.openDescriptors() } catch {
            return Outcome(setting: setting, before: nil, warning: "cannot read RLIMIT_NOFILE: \(error)")
        }
        var wanted = before
        switch setting {
        case .unchanged:
            return Outcome(setting: setting, before: before, warning: nil)
        case .hardLimit:
            wanted.soft = before.hard
        case .exactly(let n):
            wanted.soft = n
            if n > before.hard && before.hard != ResourceLimit.infinity { wanted.hard = n }
        }
        do {
            try ResourceLimit.setOpenDescriptors(wanted)
        } catch {
            // Raising the hard limit needs CAP_SYS_RESOURCE (or exceeds fs.nr_open): settle for the hard limit.
            try? ResourceLimit.setOpenDescriptors(ResourceLimit(soft: before.hard, hard: before.hard))
            return Outcome(
                setting: setting, before: before,
                warning: "--rlimit-nofile: cannot raise the hard limit from \(before.hard) to \(wanted.hard) "
                    + "(\(error); raising it needs CAP_SYS_RESOURCE): using \(before.hard)")
        }
        return Outcome(setting: setting, before: before, warning: nil)
    }

    /// Logs `outcome` with the limit the calling process has now, and returns that limit (nil if it cannot be
    /// read).
    static func report(_ outcome: Outcome, logger: Logger) -> ResourceLimit? {
        if let warning = outcome.warning { logger.warning("\(warning)") }
        guard let now = try? ResourceLimit.openDescriptors() else { return nil }
        if case .unchanged = outcome.setting {
            logger.info("descriptor limit left as inherited: \(now)")
        } else {
            logger.info("descriptor limit: \(now)\(outcome.before.map { " (was \($0))" } ?? "")")
        }
        return now
    }
}
