import Foundation

/// Where the suite's own files are, found from this source file's path (no SwiftPM resources).
enum E2EPaths {
    /// `Tests/EndToEndTests/GuestScripts`.
    static let guestScripts: String = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("GuestScripts").path

    /// The repository root, two levels above this file's directory.
    static let repositoryRoot: String = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
}
