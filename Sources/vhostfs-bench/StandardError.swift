import Glibc

/// Writes to file descriptor 2 without going through `stderr` (a C global Swift 6 will not share across threads).
enum StandardError {
    /// Writes `text` as is.
    static func write(_ text: String) {
        var copy = text
        copy.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                // SAFETY: offset < bytes.count, so the pointer and length stay inside the UTF-8 buffer.
                let n = Glibc.write(2, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
    }

    /// Whether fd 2 is a terminal.
    static var isTerminal: Bool { isatty(2) == 1 }
}
