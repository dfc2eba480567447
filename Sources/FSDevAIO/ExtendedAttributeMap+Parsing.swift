extension ExtendedAttributeMap {
    /// Why a map was refused: one line, naming the rule (counted from 1) when one is at fault.
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
        init(_ message: String) { self.message = message }
        init(rule: Int, _ problem: String) { self.message = "rule \(rule): \(problem)" }
    }

    /// Parses virtiofsd's syntax (doc/xattr-mapping.md): rules separated by white space, each written
    /// `<d>type<d>scope<d>key<d>prepend<d>` or `<d>map<d>key<d>prepend<d>`, where `<d>` is any character (the first
    /// of the rule) that then separates every field of that rule. `type` is prefix, ok, bad or unsupported; `scope`
    /// all, client or server. At most one `map` rule, and only as the last one; it stands for
    /// `prefix/all/key/prepend`, then, with an empty key, `bad/all//` (everything else is hidden and refused), or
    /// with a key, `bad/server//key` (the host's own `key` names are hidden), `bad/client/prepend/` (the guest may
    /// not use the mapped names directly) and `ok/all//`.
    ///
    /// - Throws: `ParseError` for an empty map, an unknown type or scope, a rule missing a field or its closing
    ///   separator, a misplaced `map`, a key or prefix longer than 255 bytes (XATTR_NAME_MAX).
    public static func parse(_ text: String) throws(ParseError) -> ExtendedAttributeMap {
        let bytes = Array(text.utf8)
        var rules: [Rule] = []
        var sawMap = false
        var index = 0
        var number = 0
        while true {
            while index < bytes.count, isSpace(bytes[index]) { index += 1 }
            guard index < bytes.count else { break }
            number += 1
            guard !sawMap else { throw ParseError(rule: number - 1, "a map rule must be the last rule") }
            let separator = bytes[index]
            index += 1
            func field(_ name: String) throws(ParseError) -> [UInt8] {
                guard let end = bytes[index...].firstIndex(of: separator) else {
                    let shown = String(decoding: [separator], as: UTF8.self)
                    throw ParseError(rule: number, "missing \(name), or the '\(shown)' that ends it")
                }
                defer { index = end + 1 }
                return Array(bytes[index..<end])
            }
            let kind = try field("the type")
            let kindText = String(decoding: kind, as: UTF8.self)
            if kindText == "map" {
                let key = try field("the key")
                let prepend = try field("the prefix")
                try checkLength(key, rule: number, "key")
                try checkLength(prepend, rule: number, "prefix")
                rules += expandMap(key: key, prepend: prepend)
                sawMap = true
                continue
            }
            guard let type = Kind(rawValue: kindText) else {
                throw ParseError(rule: number, "unknown type '\(kindText)' (expected prefix, ok, bad, unsupported "
                                 + "or map)")
            }
            let scopeText = String(decoding: try field("the scope"), as: UTF8.self)
            let scope: Scope
            switch scopeText {
            case "all": scope = .all
            case "client": scope = .client
            case "server": scope = .server
            default: throw ParseError(rule: number, "unknown scope '\(scopeText)' (expected all, client or server)")
            }
            let key = try field("the key")
            let prepend = try field("the prefix")
            try checkLength(key, rule: number, "key")
            try checkLength(prepend, rule: number, "prefix")
            rules.append(Rule(type, scope, key: key, prepend: prepend))
        }
        guard !rules.isEmpty else { throw ParseError("no rules") }
        return ExtendedAttributeMap(rules: rules, text: text)
    }

    /// The rules a `map` rule stands for (doc/xattr-mapping.md, examples 1 and 2).
    private static func expandMap(key: [UInt8], prepend: [UInt8]) -> [Rule] {
        func rule(_ kind: Kind, _ scope: Scope, _ key: [UInt8], _ prepend: [UInt8]) -> Rule {
            Rule(kind, scope, key: key, prepend: prepend)
        }
        if key.isEmpty {
            return [rule(.prefix, .all, [], prepend), rule(.bad, .all, [], [])]
        }
        return [
            rule(.prefix, .all, key, prepend), rule(.bad, .server, [], key), rule(.bad, .client, prepend, []),
            rule(.ok, .all, [], []),
        ]
    }

    private static func checkLength(_ field: [UInt8], rule: Int, _ name: String) throws(ParseError) {
        guard field.count <= 255 else {
            throw ParseError(rule: rule, "the \(name) is \(field.count) bytes, longer than an xattr name (255)")
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d || byte == 0x0b || byte == 0x0c
    }
}
