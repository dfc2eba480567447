import Foundation
import Glibc

/// An ordinary user made for one test with useradd (no home, its own group, no login shell) and removed with
/// userdel when the test lets it go. Debian's useradd gives every new non-system user 65536 subordinate uids and
/// gids in /etc/subuid and /etc/subgid, which newuidmap and newgidmap let it map; userdel takes them back.
/// Creating one needs root (CI runs as root).
final class TestUser {
    /// The first subordinate id and how many there are.
    struct SubordinateRange {
        let start: UInt32
        let count: UInt32
    }

    let name: String
    let uid: uid_t
    let gid: gid_t
    let subordinateUIDs: SubordinateRange
    let subordinateGIDs: SubordinateRange

    /// Why a user could not be made.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init() throws {
        // At most 32 characters; unique per test process and call.
        name = "vhfsd-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
        try Self.run("/usr/sbin/useradd", "--no-create-home", "--user-group", "--shell", "/usr/sbin/nologin", name)
        do {
            guard let entry = getpwnam(name) else { throw Failure(description: "useradd made no \(name)") }
            uid = entry.pointee.pw_uid
            gid = entry.pointee.pw_gid
            subordinateUIDs = try Self.subordinateRange(of: name, in: "/etc/subuid")
            subordinateGIDs = try Self.subordinateRange(of: name, in: "/etc/subgid")
        } catch {
            try? Self.run("/usr/sbin/userdel", "--force", name)
            throw error
        }
    }

    deinit {
        // --force: the daemon a test started as this user may still be stopping.
        try? Self.run("/usr/sbin/userdel", "--force", name)
    }

    /// The `name:start:count` line of `file` for `name`.
    private static func subordinateRange(of name: String, in file: String) throws -> SubordinateRange {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":")
            if fields.count == 3, fields[0] == name, let start = UInt32(fields[1]), let count = UInt32(fields[2]) {
                return SubordinateRange(start: start, count: count)
            }
        }
        throw Failure(description: "\(file) has no range for \(name)")
    }

    /// Runs a program to its end; throws unless it exits 0.
    private static func run(_ program: String, _ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(program) \(arguments.joined(separator: " ")): \(message)")
        }
    }
}
