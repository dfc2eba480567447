import ArgumentParser
import Glibc

/// The daemon's command line: parsing, validation, and what to print.
///
/// Every invalid command line, whatever is wrong (unknown option, missing or bad value, nonexistent shared
/// directory, both or neither of `--socket-path` and `--fd`, conflicting options), ends the same way: one line
/// `vhostfsd: <message>` on standard error and exit status 2. `--help` prints usage and `--version` and
/// `--print-capabilities` print what they name, on standard output, with exit status 0.
public enum DaemonCommandLine {
    /// The exit status for an invalid command line.
    public static let usageErrorStatus: CInt = 2

    /// What the command line asks for.
    public enum Outcome: Sendable, Hashable {
        /// Serve with this configuration.
        case run(DaemonConfiguration)
        /// Print this text on standard output and exit with status 0 (help, version, capabilities).
        case print(String)
        /// Print `vhostfsd: <message>` on standard error and exit with status 2.
        case failure(DaemonConfigurationError)
    }

    /// Parses and validates command-line arguments.
    ///
    /// `--help` wins over everything, then `-V`/`--version`, then `--print-capabilities`, which need no other
    /// option and ignore the values of the others (their syntax must still be valid).
    ///
    /// - Parameters:
    ///   - arguments: the arguments without the program name.
    ///   - allowedCPUs: the CPUs `--reactor-cpus` may name; nil for this process's affinity.
    /// - Returns: what to do.
    ///   - environment: the variables of systemd's socket activation (`LISTEN_PID`, `LISTEN_FDS`); nil for this
    ///     process's own. With neither `--socket-path` nor `--fd`, a socket passed this way is served.
    ///   - processID: the pid `LISTEN_PID` must name; nil for this process's.
    public static func parse(
        _ arguments: [String], allowedCPUs: [Int]? = nil, environment: [String: String]? = nil,
        processID: pid_t? = nil
    ) -> Outcome {
        let parsed: DaemonArguments
        do {
            parsed = try DaemonArguments.parse(separatingJoinedCompatOptions(arguments))
        } catch {
            if DaemonArguments.exitCode(for: error).isSuccess {
                let text = DaemonArguments.fullMessage(for: error, columns: 100)
                return .print(text.hasSuffix("\n") ? text : text + "\n")
            }
            let message = DaemonArguments.message(for: error)
            return .failure(DaemonConfigurationError(message.isEmpty ? "invalid command line" : message))
        }
        if parsed.version { return .print(DaemonVersion.string + "\n") }
        if parsed.printCapabilities { return .print(BackendCapabilities.json) }
        do {
            let activated = try SocketActivation.descriptor(
                environment: environment ?? SocketActivation.processEnvironment, processID: processID ?? getpid())
            return .run(
                try CommandLineSettings(parsed).configuration(allowedCPUs: allowedCPUs, activatedSocket: activated))
        } catch {
            return .failure(error)
        }
    }

    /// Rewrites `-oOPTS` as `-o OPTS`, the joined form FUSE and virtiofsd accept, which swift-argument-parser
    /// would otherwise read as a single-dash long option.
    static func separatingJoinedCompatOptions(_ arguments: [String]) -> [String] {
        var result: [String] = []
        for argument in arguments {
            if argument.hasPrefix("-o"), argument.count > 2 {
                result.append("-o")
                result.append(String(argument.dropFirst(2)))
            } else {
                result.append(argument)
            }
        }
        return result
    }

    /// The text printed on standard error for a failure: `vhostfsd: <message>` and a newline.
    public static func errorLine(_ error: DaemonConfigurationError) -> String {
        "vhostfsd: \(error.message)\n"
    }

    /// Parses `arguments` and returns the configuration to serve, or prints what the command line asks for and
    /// exits: status 0 after help, version or capabilities, status 2 with one line on standard error when the
    /// command line is invalid.
    ///
    /// - Parameter arguments: the arguments without the program name.
    public static func configurationOrExit(_ arguments: [String]) -> DaemonConfiguration {
        let outcome = parse(arguments)
        SocketActivation.clearEnvironment()
        switch outcome {
        case .run(let configuration):
            return configuration
        case .print(let text):
            ConsoleOutput.standardOutput(text)
            exit(0)
        case .failure(let error):
            ConsoleOutput.standardError(errorLine(error))
            exit(usageErrorStatus)
        }
    }
}
