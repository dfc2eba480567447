import Glibc
import Logging
import Testing

@testable import VhostFSDaemon

@Suite struct LogHandlerTests {
    @Test func formatsOneLineWithTimestampLevelLabelAndMessage() {
        // 2024-02-29T23:59:58.000123Z
        let time = timespec(tv_sec: 1_709_251_198, tv_nsec: 123_456)
        let line = StandardErrorLogHandler.format(
            level: .warning, label: "vhostfsd", message: "queue 1 stopped", metadata: ["queue": "1", "a": "b"],
            time: time)
        #expect(line == "2024-02-29T23:59:58.000123Z WARN  vhostfsd: queue 1 stopped a=b queue=1\n")
    }

    @Test func lineBreaksInMessagesAndMetadataAreEscaped() {
        let line = StandardErrorLogHandler.format(
            level: .error, label: "l", message: "two\nlines\r", metadata: ["k": "v\nw"], time: timespec())
        #expect(line == "1970-01-01T00:00:00.000000Z ERROR l: two\\nlines\\r k=v\\nw\n")
        #expect(line.filter { $0 == "\n" }.count == 1)
    }

    @Test(arguments: [
        (Logger.Level.trace, "TRACE"), (.debug, "DEBUG"), (.info, "INFO "), (.notice, "NOTICE"), (.warning, "WARN "),
        (.error, "ERROR"), (.critical, "CRIT "),
    ])
    func levelNames(level: Logger.Level, name: String) {
        #expect(StandardErrorLogHandler.levelName(level) == name)
    }

    @Test func handlerKeepsItsLevelAndMetadataAsValues() {
        var handler = StandardErrorLogHandler(label: "x", logLevel: .debug)
        handler[metadataKey: "reactor"] = "0"
        var copy = handler
        copy.logLevel = .error
        copy[metadataKey: "reactor"] = "1"
        #expect(handler.logLevel == .debug && handler[metadataKey: "reactor"] == "0")
        #expect(copy.logLevel == .error && copy[metadataKey: "reactor"] == "1")
    }

    @Test(arguments: [
        (DaemonConfiguration.LogLevel.off, nil), (.error, Logger.Level.error), (.warn, .warning), (.info, .info),
        (.debug, .debug), (.trace, .trace),
    ])
    func configurationLevelsMapToSwiftLog(level: DaemonConfiguration.LogLevel, expected: Logger.Level?) {
        #expect(level.loggerLevel == expected)
    }

    @Test func syslogPriorities() {
        #expect(SyslogLogHandler.priority(.trace) == LOG_DEBUG)
        #expect(SyslogLogHandler.priority(.info) == LOG_INFO)
        #expect(SyslogLogHandler.priority(.warning) == LOG_WARNING)
        #expect(SyslogLogHandler.priority(.error) == LOG_ERR)
        #expect(SyslogLogHandler.priority(.critical) == LOG_CRIT)
    }
}
