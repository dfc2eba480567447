import Glibc
import Logging

/// Process-wide logging for the daemon, through swift-log.
public enum DaemonLogging {
    /// The label of the daemon's main logger.
    public static let label = "vhostfsd"

    /// Installs the log handler the configuration asks for (standard error or syslog, at its level; nothing when
    /// the level is `off`), logs the configuration's warnings, and returns the daemon's logger.
    ///
    /// Must be called once, before any logger is created: swift-log allows one bootstrap per process.
    public static func bootstrap(for configuration: DaemonConfiguration) -> Logger {
        let level = configuration.logLevel.loggerLevel
        let destination = configuration.logDestination
        if level != nil, destination == .syslog { SyslogLogHandler.openSystemLog() }
        LoggingSystem.bootstrap { label in
            guard let level else { return SwiftLogNoOpLogHandler(label) }
            switch destination {
            case .standardError: return StandardErrorLogHandler(label: label, logLevel: level)
            case .syslog: return SyslogLogHandler(label: label, logLevel: level)
            }
        }
        let logger = Logger(label: label)
        for warning in configuration.warnings { logger.warning("\(warning)") }
        return logger
    }

    /// Logs why the daemon could not start or keep serving, and exits with status 1.
    public static func exitAfterFailure(_ error: any Error, logger: Logger) -> Never {
        logger.critical("vhostfsd stopped: \(error)")
        exit(1)
    }
}
