import Foundation

/// Runs a host tool for a test and collects what it printed.
public enum HostCommand {
    /// What a finished command left: its exit status and its standard output and error, merged.
    public struct Outcome: Sendable {
        public var status: Int32
        public var output: String
    }

    /// Runs `arguments` through /usr/bin/env (so `arguments[0]` is looked up in PATH when not absolute), with
    /// stdin from /dev/null and stdout and stderr merged, and waits for it to exit.
    public static func run(_ arguments: [String]) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}
