import Foundation
import Glibc

@testable import VhostFSDaemon

/// A temporary directory tree for one test, removed when the value is released.
final class TemporaryDirectory {
    /// The directory's path as created (under /tmp, itself a real path on these machines).
    let path: String

    init() throws {
        var template = Array("/tmp/vhostfsd-tests-XXXXXX".utf8CString)
        guard let created = template.withUnsafeMutableBufferPointer({ $0.baseAddress.flatMap(mkdtemp) }) else {
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        path = String(cString: created)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Creates a subdirectory and returns its path.
    func directory(_ name: String) throws -> String {
        let full = "\(path)/\(name)"
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        return full
    }

    /// Creates a regular file and returns its path.
    func file(_ name: String) throws -> String {
        let full = "\(path)/\(name)"
        guard FileManager.default.createFile(atPath: full, contents: Data("x".utf8)) else {
            throw POSIXError(.EIO)
        }
        return full
    }

    /// Creates a symbolic link `name` pointing at `target` and returns its path.
    func symlink(_ name: String, to target: String) throws -> String {
        let full = "\(path)/\(name)"
        try FileManager.default.createSymbolicLink(atPath: full, withDestinationPath: target)
        return full
    }
}

/// A Unix stream socket, closed when the value is released, for `--fd`.
final class TestSocket {
    let fd: CInt

    init() throws {
        fd = socket(AF_UNIX, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    }

    deinit { close(fd) }
}

/// CPUs the tests pretend this process may run on, so that CPU checks do not depend on the machine.
let testCPUs = Array(0...7)

/// A descriptor number that is never open in the test process.
let closedDescriptor: CInt = 999_999

/// Parses a command line with `testCPUs` as the allowed CPUs.
func parse(_ arguments: [String]) -> DaemonCommandLine.Outcome {
    DaemonCommandLine.parse(arguments, allowedCPUs: testCPUs)
}

/// The configuration a command line yields, or the failure message / printed text as an error.
func configuration(_ arguments: [String]) throws -> DaemonConfiguration {
    switch parse(arguments) {
    case .run(let configuration): return configuration
    case .failure(let error): throw error
    case .print(let text): throw DaemonConfigurationError("printed instead of running: \(text)")
    }
}

/// The failure message a command line yields, or nil when it does not fail.
func failureMessage(_ arguments: [String]) -> String? {
    if case .failure(let error) = parse(arguments) { return error.message }
    return nil
}
