import LinuxSystem
import Logging

/// Sets RLIMIT_NOFILE at start as `--rlimit-nofile` asks and logs what was obtained (virtiofsd raises it too: a
/// guest that knows many files, or opens many, needs descriptors).
enum DescriptorLimitSetting {
    /// Applies `setting` and returns the limit in force afterwards (nil if it cannot even be read).
    ///
    /// `.exactly(n)` above the hard limit raises the hard limit too, which needs CAP_SYS_RESOURCE; without it the
    /// soft limit goes to the hard one and a warning says so.
    static func apply(_ setting: DaemonConfiguration.DescriptorLimit, logger: Logger) -> ResourceLimit? {
        let before: ResourceLimit
        do { before = try ResourceLimit.openDescriptors() } catch {
            logger.warning("cannot read RLIMIT_NOFILE: \(error)")
            return nil
        }
        var wanted = before
        switch setting {
        case .unchanged:
            logger.info("descriptor limit left as inherited: \(before)")
            return before
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
            let message = "--rlimit-nofile: cannot raise the hard limit from \(before.hard) to \(wanted.hard) "
                + "(\(error); raising it needs CAP_SYS_RESOURCE): using \(before.hard)"
            logger.warning("\(message)")
            try? ResourceLimit.setOpenDescriptors(ResourceLimit(soft: before.hard, hard: before.hard))
        }
        let after = (try? ResourceLimit.openDescriptors()) ?? before
        logger.info("descriptor limit: \(after) (was \(before))")
        return after
    }
}
