import Testing

/// The `E2E-CHECK`, `E2E-VALUE` and `E2E-END` lines a guest script printed (see GuestScripts/lib.sh).
struct GuestCheckReport {
    /// One `E2E-CHECK` line.
    struct Check {
        /// The check's name.
        let name: String
        /// True for `=ok`.
        let passed: Bool
        /// What a failing check saw.
        let detail: String
    }

    /// Every check line, in console order.
    let checks: [Check]
    /// `E2E-VALUE` lines by name (the last one wins).
    let values: [String: String]
    /// The `failed=` count of the `E2E-END` line; nil if the script did not reach its end.
    let endFailedCount: Int?

    /// Parses a console log. A line may start with other output (a kernel message can share it) and end in `\r`.
    init(consoleLog: String) {
        var checks: [Check] = []
        var values: [String: String] = [:]
        var end: Int?
        for rawLine in consoleLog.split(whereSeparator: \.isNewline) {
            let line = rawLine.filter { $0 != "\r" }
            if let range = line.firstRange(of: "E2E-CHECK ") {
                let body = line[range.upperBound...]
                let words = body.split(separator: " ", maxSplits: 1)
                guard let first = words.first, let equals = first.firstIndex(of: "=") else { continue }
                let name = String(first[..<equals])
                let verdict = first[first.index(after: equals)...]
                var detail = words.count > 1 ? String(words[1]) : ""
                if detail.hasPrefix("detail=") { detail.removeFirst("detail=".count) }
                checks.append(Check(name: name, passed: verdict == "ok", detail: detail))
            } else if let range = line.firstRange(of: "E2E-VALUE ") {
                let body = line[range.upperBound...]
                guard let equals = body.firstIndex(of: "=") else { continue }
                values[String(body[..<equals])] = String(body[body.index(after: equals)...])
            } else if let range = line.firstRange(of: "E2E-END failed=") {
                end = Int(line[range.upperBound...].prefix { $0.isNumber })
            }
        }
        self.checks = checks
        self.values = values
        self.endFailedCount = end
    }

    /// Records an issue for every name in `expected` that is missing, printed more than once, or failed, and for
    /// every check the script printed that `expected` does not name.
    func expectAll(
        _ expected: [String], context: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        var byName: [String: [Check]] = [:]
        for check in checks { byName[check.name, default: []].append(check) }
        var missing: [String] = []
        for name in expected {
            guard let found = byName[name] else {
                missing.append(name)
                continue
            }
            if found.count != 1 {
                Issue.record("guest check \(name) printed \(found.count) times", sourceLocation: sourceLocation)
            }
            for check in found where !check.passed {
                Issue.record("guest check \(name) failed: \(check.detail)", sourceLocation: sourceLocation)
            }
        }
        if !missing.isEmpty {
            Issue.record("guest checks missing from the console: \(missing.joined(separator: ", "))\n\(context())",
                         sourceLocation: sourceLocation)
        }
        let unexpected = Set(byName.keys).subtracting(expected)
        for name in unexpected.sorted() {
            let verdicts = byName[name]!.map { $0.passed ? "ok" : "fail: \($0.detail)" }
            Issue.record("guest check \(name) is not in the host's list (\(verdicts.joined(separator: "; ")))",
                         sourceLocation: sourceLocation)
        }
    }
}
