import Foundation
import Glibc

/// A message from an exit test's child process to the test in the parent: the child's output is not shown, so a
/// child that fails writes why into a file named after the parent's pid, and the parent reads it back.
public enum ExitTestNote {
    private static func path(test: String, parent: pid_t) -> String {
        NSTemporaryDirectory() + "vhostfsd-exit-test-\(parent)-\(test).txt"
    }

    /// In the child: records `text` (appended) for the parent.
    public static func write(test: String, _ text: String) {
        let file = path(test: test, parent: getppid())
        if let handle = FileHandle(forWritingAtPath: file) {
            handle.seekToEndOfFile()
            handle.write(Data((text + "\n").utf8))
            try? handle.close()
        } else {
            _ = FileManager.default.createFile(atPath: file, contents: Data((text + "\n").utf8))
        }
    }

    /// In the child: records `text` for the parent and exits with `code`.
    public static func fail(_ test: String, _ code: Int32, _ text: String) -> Never {
        write(test: test, text)
        exit(code)
    }

    /// In the parent: the child's notes, if it left any (and removes them).
    public static func take(test: String) -> String? {
        let file = path(test: test, parent: getpid())
        defer { try? FileManager.default.removeItem(atPath: file) }
        return (try? String(contentsOfFile: file, encoding: .utf8))
    }
}
