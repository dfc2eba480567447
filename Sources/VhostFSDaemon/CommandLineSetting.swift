/// One setting of the command line, remembering which option set it, so that two spellings giving it different
/// values can be reported as a conflict.
///
/// Rules: a long option (or short flag) is given at most once per spelling by the time swift-argument-parser is
/// done, so a second value from another spelling with a different value is a conflict (`--xattr` with
/// `--no-xattr`, `--cache=never` with `-o cache=always`). Within the legacy `-o` options the last one wins, as in
/// virtiofsd. The same value from two spellings is fine.
struct CommandLineSetting<Value: Equatable> {
    /// The value, or nil when no option set it.
    private(set) var value: Value?
    /// The option that set `value`, as spelled (`--xattr`, `-o no_xattr`).
    private(set) var spelling: String?

    /// Records `newValue` from the option `newSpelling`.
    ///
    /// - Throws: `DaemonConfigurationError` when another spelling already gave a different value and the two are
    ///   not both `-o` options.
    mutating func set(_ newValue: Value, by newSpelling: String) throws(DaemonConfigurationError) {
        if let value, let spelling, value != newValue, !(Self.isCompat(spelling) && Self.isCompat(newSpelling)) {
            throw DaemonConfigurationError("\(newSpelling) conflicts with \(spelling)")
        }
        value = newValue
        spelling = newSpelling
    }

    /// Whether a spelling is a legacy `-o` option.
    private static func isCompat(_ spelling: String) -> Bool { spelling.hasPrefix("-o ") }
}
