/// Why a daemon configuration or command line was refused.
///
/// The message is exactly one line that names the option as the user spelled it and the problem, e.g.
/// `--queue-size: 1000 is not a power of two between 64 and 32768`. The command line prints it as
/// `vhostfsd: <message>` on standard error and exits with status 2.
public struct DaemonConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The one-line message, without the `vhostfsd: ` prefix.
    public let message: String

    /// Creates an error from a message; line breaks are folded into `; ` so the message stays on one line.
    public init(_ message: String) {
        self.message = message.split(whereSeparator: \.isNewline)
            .map { $0.trimmingPrefix(while: \.isWhitespace) }
            .filter { !$0.isEmpty }
            .joined(separator: "; ")
    }

    /// Creates an error about one option: `<option>: <problem>`.
    ///
    /// - Parameters:
    ///   - option: the option as the user spelled it (`--queue-size`, `-o cache`).
    ///   - problem: what is wrong with its value.
    static func option(_ option: String, _ problem: String) -> DaemonConfigurationError {
        DaemonConfigurationError("\(option): \(problem)")
    }

    public var description: String { message }
}
