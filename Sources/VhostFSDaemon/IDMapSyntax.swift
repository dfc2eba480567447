import FSDevAIO

/// virtiofsd's command-line syntax for uid/gid translation (virtiofsd README, "--translate-uid" and "--uid-map").
enum IDMapSyntax {
    /// Parses one `--translate-uid`/`--translate-gid` value: `TYPE:A:B:COUNT` (`forbid-guest:A:COUNT`), where TYPE is
    /// guest, host, squash-guest, squash-host, forbid-guest or map (any case) and the separator is the first
    /// character after it that is not a letter, digit, `-` or `_`, the same between every field.
    ///
    /// - Throws: `DaemonConfigurationError` naming `option` for an unknown type, a wrong number of fields or a value
    ///   that is not an id.
    static func translationRule(_ text: String, option: String) throws(DaemonConfigurationError) -> IDMapRule {
        guard let separatorIndex = text.firstIndex(where: { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else {
            throw .option(option, "\(text) is not TYPE:FROM:TO:COUNT (e.g. squash-guest:0:1000:4294967295)")
        }
        let kind = text[..<separatorIndex].lowercased()
        let separator = text[separatorIndex]
        let fields = text[text.index(after: separatorIndex)...]
            .split(separator: separator, omittingEmptySubsequences: false)
        let expected = kind == "forbid-guest" ? 2 : 3
        let known = ["guest", "host", "squash-guest", "squash-host", "forbid-guest", "map"]
        guard known.contains(kind) else {
            throw .option(
                option, "\(text): unknown type \(kind) (expected guest, host, squash-guest, squash-host, forbid-guest "
                    + "or map)")
        }
        guard fields.count == expected else {
            throw .option(option, "\(text): \(kind) takes \(expected) numbers, \(fields.count) given")
        }
        var values: [UInt32] = []
        for field in fields { values.append(try id(field, in: text, option: option)) }
        switch kind {
        case "guest": return .guest(guestBase: values[0], hostBase: values[1], count: values[2])
        case "host": return .host(hostBase: values[0], guestBase: values[1], count: values[2])
        case "squash-guest": return .squashGuest(guestBase: values[0], host: values[1], count: values[2])
        case "squash-host": return .squashHost(hostBase: values[0], guest: values[1], count: values[2])
        case "forbid-guest": return .forbidGuest(guestBase: values[0], count: values[1])
        default: return .map(guestBase: values[0], hostBase: values[1], count: values[2])
        }
    }

    /// Parses one `--uid-map`/`--gid-map` value: `:INSIDE:HOST:COUNT:`, where the delimiter is the last character
    /// (not a letter or digit) and must also be the first.
    ///
    /// - Throws: `DaemonConfigurationError` naming `option`.
    static func namespaceRange(_ text: String, option: String) throws(DaemonConfigurationError) -> NamespaceIDRange {
        let form = ":NAMESPACE_ID:HOST_ID:COUNT: (e.g. :0:100000:65536:)"
        guard let delimiter = text.last, !delimiter.isLetter, !delimiter.isNumber, text.count >= 2,
            text.first == delimiter
        else { throw .option(option, "\(text) is not \(form)") }
        let fields = text.dropFirst().dropLast().split(separator: delimiter, omittingEmptySubsequences: false)
        guard fields.count == 3 else { throw .option(option, "\(text) is not \(form)") }
        return NamespaceIDRange(
            inside: try id(fields[0], in: text, option: option), outside: try id(fields[1], in: text, option: option),
            count: try id(fields[2], in: text, option: option))
    }

    /// A decimal id, 0 to 4294967295.
    private static func id(_ field: Substring, in text: String, option: String) throws(DaemonConfigurationError)
        -> UInt32
    {
        guard !field.isEmpty, field.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let value = UInt32(field)
        else { throw .option(option, "\(text): \(field.isEmpty ? "an empty field" : String(field)) is not an id "
            + "(0 to 4294967295)") }
        return value
    }
}
