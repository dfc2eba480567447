/// Byte counts on the command line: a decimal number with an optional binary suffix.
public enum ByteCount {
    /// Parses `N`, `NK` or `NM` (suffixes case-insensitive, optionally followed by `iB` or `B`): bytes, KiB
    /// (1024) or MiB (1048576).
    ///
    /// - Parameters:
    ///   - text: the count, e.g. `1M`, `512K`, `65536`.
    ///   - option: the option to name in errors.
    /// - Returns: the number of bytes.
    /// - Throws: `DaemonConfigurationError` when the text is not such a number or overflows.
    public static func parse(_ text: String, option: String) throws(DaemonConfigurationError) -> Int {
        var digits = Substring(text)
        var multiplier = 1
        for suffix in ["KiB", "KB", "K"] where digits.uppercased().hasSuffix(suffix.uppercased()) {
            digits = digits.dropLast(suffix.count)
            multiplier = 1 << 10
            break
        }
        if multiplier == 1 {
            for suffix in ["MiB", "MB", "M"] where digits.uppercased().hasSuffix(suffix.uppercased()) {
                digits = digits.dropLast(suffix.count)
                multiplier = 1 << 20
                break
            }
        }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let value = Int(digits)
        else {
            throw .option(option, "\(text) is not a byte count (a number with an optional K or M suffix)")
        }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { throw .option(option, "\(text) is too large") }
        return bytes
    }
}
