import Glibc
import Logging

/// A swift-log handler that writes one line per message to standard error:
/// `2025-01-31T12:34:56.789012Z INFO  vhostfsd: message key=value`.
///
/// The timestamp is UTC with microseconds; line breaks inside the message or metadata are written as `\n` so that
/// every message stays on one line. Each line goes out in a single write(2), so lines from different threads do
/// not interleave (standard error is unbuffered and lines are shorter than PIPE_BUF in practice).
public struct StandardErrorLogHandler: LogHandler {
    /// The logger's label, printed before the message.
    public let label: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    /// Creates a handler.
    ///
    /// - Parameters:
    ///   - label: the logger's label.
    ///   - logLevel: the least severe level written.
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
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let line = Self.format(
            level: event.level, label: label, message: event.message.description, metadata: merged, time: now)
        ConsoleOutput.standardError(line)
    }

    /// Formats one log line, newline included.
    ///
    /// - Parameters:
    ///   - level: the message's level.
    ///   - label: the logger's label.
    ///   - message: the message text.
    ///   - metadata: key-value pairs, printed sorted by key after the message.
    ///   - time: the wall-clock time (CLOCK_REALTIME).
    public static func format(
        level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, time: timespec
    ) -> String {
        var line = timestamp(time)
        line += " "
        line += levelName(level)
        line += " "
        line += label
        line += ": "
        line += oneLine(message)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line += " \(oneLine(key))=\(oneLine(value.description))"
        }
        line += "\n"
        return line
    }

    /// The level as a fixed-width word: TRACE, DEBUG, INFO, NOTICE, WARN, ERROR, CRIT (padded to 5 or more).
    static func levelName(_ level: Logger.Level) -> String {
        switch level {
        case .trace: "TRACE"
        case .debug: "DEBUG"
        case .info: "INFO "
        case .notice: "NOTICE"
        case .warning: "WARN "
        case .error: "ERROR"
        case .critical: "CRIT "
        }
    }

    /// ISO 8601 UTC with microseconds, e.g. `2025-01-31T12:34:56.789012Z`.
    static func timestamp(_ time: timespec) -> String {
        var seconds = time_t(time.tv_sec)
        var fields = tm()
        gmtime_r(&seconds, &fields)
        return "\(pad(Int(fields.tm_year) + 1900, 4))-\(pad(Int(fields.tm_mon) + 1, 2))-\(pad(Int(fields.tm_mday), 2))"
            + "T\(pad(Int(fields.tm_hour), 2)):\(pad(Int(fields.tm_min), 2)):\(pad(Int(fields.tm_sec), 2))"
            + ".\(pad(Int(time.tv_nsec) / 1000, 6))Z"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// Escapes line breaks so that a message cannot span lines.
    private static func oneLine(_ text: String) -> String {
        guard text.contains(where: \.isNewline) else { return text }
        var result = ""
        for character in text {
            switch character {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\r\n": result += "\\r\\n"
            case _ where character.isNewline: result += " "
            default: result.append(character)
            }
        }
        return result
    }
}
