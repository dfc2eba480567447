#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Follows the console log file QEMU writes, keeping every byte and noticing the init's `done` marker.
struct ConsoleReader {
    /// Everything read so far.
    private(set) var bytes: [UInt8] = []
    /// True once a complete line carrying the `done` marker has been read.
    private(set) var sawDone = false

    private let fd: Int32
    private let echo: Bool
    /// Start of the first line not yet scanned for markers.
    private var scanned = 0

    init(fd: Int32, echo: Bool) {
        self.fd = fd
        self.echo = echo
    }

    /// Reads whatever QEMU has appended since the last call (a regular file: reads never block).
    mutating func drain() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += buffer[0..<count]
            if echo {
                buffer.withUnsafeBytes { _ = write(2, $0.baseAddress, count) }
            }
        }
        scanLines()
    }

    private mutating func scanLines() {
        while !sawDone, let newline = bytes[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: bytes[scanned..<newline], as: UTF8.self)
            scanned = newline + 1
            if let marker = GuestMarker(consoleLine: line), marker.event == "done" {
                sawDone = true
            }
        }
    }
}
