import Glibc
import Logging

/// A swift-log handler that sends each message to the system log (facility LOG_DAEMON, ident `vhostfsd`, with the
/// pid), for `--syslog`.
public struct SyslogLogHandler: LogHandler {
    /// The logger's label, printed before the message.
    public let label: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    /// The ident passed to openlog(3), which keeps the pointer: allocated once and never freed.
    private nonisolated(unsafe) static let ident: UnsafeMutablePointer<CChar>? = strdup("vhostfsd")

    /// Opens the system log connection once for the process. The corresponding C function is `openlog`.
    public static func openSystemLog() {
        openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON)
    }

    /// Creates a handler; call `openSystemLog()` once before the first message.
    ///
    /// - Parameters:
    ///   - label: the logger's label.
    ///   - logLevel: the least severe level sent.
    public init(label: String, logLevel: Logger.Level = .info) {
        self.label = label
        self.logLevel = logLevel
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = mergedMetadata(event)
        var text = "\(label): \(event.message)"
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) { text += " \(key)=\(value)" }
        let priority = Self.priority(event.level)
        // syslog(3) is variadic and not imported; vsyslog with a "%s" format takes the text verbatim.
        text.withCString { message in
            withVaList([message]) { arguments in vsyslog(priority, "%s", arguments) }
        }
    }

    /// The syslog priority of a swift-log level.
    static func priority(_ level: Logger.Level) -> CInt {
        switch level {
        case .trace, .debug: LOG_DEBUG
        case .info: LOG_INFO
        case .notice: LOG_NOTICE
        case .warning: LOG_WARNING
        case .error: LOG_ERR
        case .critical: LOG_CRIT
        }
    }
}
