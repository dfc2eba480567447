import Glibc
import Logging

/// Starts the daemon for a validated configuration.
///
/// Placeholder until the server exists: it logs the configuration and exits with status 0.
public enum DaemonLauncher {
    /// Serves `configuration` until the daemon is told to stop, then exits the process.
    ///
    /// - Parameters:
    ///   - configuration: what to serve and how.
    ///   - logger: the daemon's logger.
    /// - Throws: when the daemon cannot start.
    public static func launch(_ configuration: DaemonConfiguration, logger: Logger) throws -> Never {
        logger.info("\(configuration.summary)")
        logger.info("the server is not implemented yet; exiting")
        exit(0)
    }
}
