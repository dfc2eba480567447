/// One marker line printed by the guest init (`contrib/guest/init`) on the serial console.
///
/// The wire form is `VHOSTFS-GUEST: <event>[=<value>] [<key>=<value> ...]`, for example
/// `VHOSTFS-GUEST: mount=failed tag=nonexistent rc=255` has event `mount`, value `failed` and the fields
/// `tag` and `rc`. The init documents every event it prints.
public struct GuestMarker: Sendable, Hashable, CustomStringConvertible {
    /// The text that starts every marker, wherever it appears in a console line.
    public static let prefix = "VHOSTFS-GUEST: "

    /// The event name, e.g. `booted`, `module`, `mount`, `script-exit`, `done`.
    public let event: String
    /// The text after `=` in the first word, e.g. `ok` for `mount=ok`; nil for a bare event such as `done`.
    public let value: String?
    /// The `key=value` words after the first, in order (a word without `=` maps to an empty string).
    public let fields: [(key: String, value: String)]
    /// The marker text after the prefix, as printed.
    public let text: String

    /// Parses the marker in a console line, or returns nil if the line carries none.
    ///
    /// The prefix may be preceded by other output (a kernel message can share the line), and a trailing `\r` from
    /// the serial line discipline is ignored.
    public init?(consoleLine line: some StringProtocol) {
        guard let range = line.firstRange(of: Self.prefix) else { return nil }
        var body = line[range.upperBound...]
        while let last = body.last, last == "\r" || last == "\n" || last == " " {
            body.removeLast()
        }
        let words = body.split(separator: " ", omittingEmptySubsequences: true)
        guard let first = words.first else { return nil }
        if let equals = first.firstIndex(of: "=") {
            event = String(first[..<equals])
            value = String(first[first.index(after: equals)...])
        } else {
            event = String(first)
            value = nil
        }
        fields = words.dropFirst().map { word in
            if let equals = word.firstIndex(of: "=") {
                return (String(word[..<equals]), String(word[word.index(after: equals)...]))
            }
            return (String(word), "")
        }
        text = String(body)
    }

    /// The value of the first field named `key`, e.g. `marker["tag"]`.
    public subscript(key: String) -> String? {
        fields.first { $0.key == key }?.value
    }

    public var description: String { Self.prefix + text }

    public static func == (lhs: GuestMarker, rhs: GuestMarker) -> Bool {
        lhs.text == rhs.text
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(text)
    }

    /// All markers in a console log, in order.
    public static func parse(consoleLog: String) -> [GuestMarker] {
        consoleLog.split(whereSeparator: \.isNewline).compactMap { GuestMarker(consoleLine: $0) }
    }
}
