import Foundation
import QEMUTestKit

#if canImport(Glibc)
import Glibc
#endif

/// Host-side helpers: run a tool, checksum a file, stat without following symlinks.
enum HostSide {
    /// Runs `arguments[0]` (looked up in PATH when not absolute) and returns its exit status and combined output.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let outcome = try HostCommand.run(arguments)
        return (outcome.status, outcome.output)
    }

    /// The SHA-256 of a file as lowercase hex (coreutils `sha256sum`, which the guest tests need anyway).
    static func sha256(_ path: String) throws -> String {
        let (status, output) = try run(["sha256sum", path])
        guard status == 0, let digest = output.split(separator: " ").first, digest.count == 64 else {
            throw HostSideError(description: "sha256sum \(path) failed: \(output)")
        }
        return String(digest)
    }

    /// `lstat(2)`, or nil if the path does not exist.
    static func lstat(_ path: String) -> stat? {
        var result = stat()
        return Glibc.lstat(path, &result) == 0 ? result : nil
    }

    /// The file type bits of `lstat`, or nil if the path does not exist.
    static func fileType(_ path: String) -> mode_t? {
        lstat(path).map { $0.st_mode & S_IFMT }
    }

    /// The target of a symlink, or nil.
    static func readlink(_ path: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: path)
    }

    /// A file's contents as UTF-8, or nil.
    static func text(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The names in a directory, without `.` and `..`.
    static func names(_ path: String) -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
    }
}

/// A host-side step that failed.
struct HostSideError: Error, CustomStringConvertible {
    let description: String
}
