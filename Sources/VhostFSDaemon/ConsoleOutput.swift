import Glibc

/// Whole-string writes to standard output and standard error, without buffering, for the command line's
/// messages and the log handler's lines.
enum ConsoleOutput {
    /// Writes all of `text` to `descriptor` in as few write(2) calls as the kernel allows, retrying EINTR and
    /// giving up silently on any other error (there is nowhere left to report it).
    static func write(_ text: String, to descriptor: CInt) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(descriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }

    /// Writes `text` to standard output.
    static func standardOutput(_ text: String) { write(text, to: STDOUT_FILENO) }

    /// Writes `text` to standard error.
    static func standardError(_ text: String) { write(text, to: STDERR_FILENO) }
}
