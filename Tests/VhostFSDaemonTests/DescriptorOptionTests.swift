import Foundation
import Glibc
import LinuxSystem
import Testing

@testable import VhostFSDaemon

/// The daemon at start: what it does with RLIMIT_NOFILE and file handles, and what it says about them.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct DescriptorOptionTests {
    /// A daemon started in the background with its log in a file, stopped with SIGTERM.
    final class Daemon {
        let process = Process()
        let log: String
        let tree: TemporaryDirectory

        /// Starts `vhostfsd` with `arguments` (after `prefix`, a wrapper such as setpriv) on a fresh share.
        init(_ arguments: [String], prefix: [String] = [], share: String? = nil) throws {
            tree = try TemporaryDirectory()
            let shareDirectory = try share ?? tree.directory("share")
            log = tree.path + "/log"
            let binary = try ExecutableTests.executablePath()
            let command = prefix + [binary, "--socket-path=\(tree.path)/s.sock", "--shared-dir=\(shareDirectory)"]
                + arguments
            process.executableURL = URL(fileURLWithPath: command[0])
            process.arguments = Array(command.dropFirst())
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardError = handle
            process.standardOutput = handle
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }

        var text: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

        /// Waits until the daemon listens (true) or exits (false).
        func waitUntilListening() -> Bool {
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                if text.contains("waiting for a vhost-user front-end") { return true }
                if !process.isRunning { return false }
                usleep(10_000)
            }
            return false
        }

        /// The process that serves: with a sandbox (the default) the child of the supervisor the test started,
        /// else the started process itself.
        func servingPID() -> pid_t {
            let supervisor = process.processIdentifier
            let path = "/proc/\(supervisor)/task/\(supervisor)/children"
            let children = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: " ")
            return children.first.flatMap { pid_t($0) } ?? supervisor
        }

        /// The soft and hard "Max open files" of the serving daemon (default), or of `pid`, from /proc/<pid>/limits.
        func openFileLimits(of pid: pid_t? = nil) -> (soft: UInt64, hard: UInt64)? {
            let path = "/proc/\(pid ?? servingPID())/limits"
            guard let limits = try? String(contentsOfFile: path, encoding: .utf8),
                  let line = limits.split(separator: "\n").first(where: { $0.hasPrefix("Max open files") })
            else { return nil }
            let fields = line.dropFirst("Max open files".count).split(separator: " ")
            guard fields.count >= 2, let soft = UInt64(fields[0]), let hard = UInt64(fields[1]) else { return nil }
            return (soft, hard)
        }

        func stop() -> Int32 {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    @Test func theSoftLimitIsRaisedToTheHardLimitByDefaultAndLogged() throws {
        let inherited = try ResourceLimit.openDescriptors()
        let d = try Daemon([], prefix: ["/usr/bin/prlimit", "--nofile=1024:\(inherited.hard)", "--"])
        #expect(d.waitUntilListening(), "\(d.text)")
        // Set before the sandbox, so the sandboxed daemon and its supervisor both have it.
        #expect(d.servingPID() != d.process.processIdentifier, "no sandboxed child: \(d.text)")
        for pid in [d.servingPID(), d.process.processIdentifier] {
            let limits = d.openFileLimits(of: pid)
            #expect(limits?.soft == inherited.hard && limits?.hard == inherited.hard, "pid \(pid)")
        }
        #expect(d.text.contains("descriptor limit: soft \(inherited.hard), hard \(inherited.hard) (was soft 1024"))
        #expect(d.text.contains("nodes are identified by file handles"), "\(d.text)")
        #expect(d.text.contains("at most \(inherited.hard / 2) O_PATH descriptors"), "\(d.text)")
        #expect(d.stop() == 0)
    }

    @Test func rlimitNofileSetsTheSoftLimitAndZeroLeavesItAlone() throws {
        let inherited = try ResourceLimit.openDescriptors()
        let set = try Daemon(["--rlimit-nofile=4096"],
                             prefix: ["/usr/bin/prlimit", "--nofile=1024:\(inherited.hard)", "--"])
        #expect(set.waitUntilListening(), "\(set.text)")
        #expect(set.openFileLimits()?.soft == 4096)
        #expect(set.text.contains("descriptor limit: soft 4096"))
        #expect(set.stop() == 0)
        let unchanged = try Daemon(["--rlimit-nofile=0", "--fd-cache=100"],
                                   prefix: ["/usr/bin/prlimit", "--nofile=1000:\(inherited.hard)", "--"])
        #expect(unchanged.waitUntilListening(), "\(unchanged.text)")
        #expect(unchanged.openFileLimits()?.soft == 1000)
        #expect(unchanged.text.contains("descriptor limit left as inherited: soft 1000"))
        #expect(unchanged.text.contains("at most 100 O_PATH descriptors"))
        #expect(unchanged.stop() == 0)
    }

    /// Above the hard limit: raised with CAP_SYS_RESOURCE, else the soft limit goes to the hard one with a
    /// warning. Either way the log states what /proc says.
    @Test func aLimitAboveTheHardLimitIsRaisedOrLoggedAsImpossible() throws {
        let inherited = try ResourceLimit.openDescriptors()
        let wanted = inherited.hard + 1000
        let d = try Daemon(["--rlimit-nofile=\(wanted)"])
        #expect(d.waitUntilListening(), "\(d.text)")
        let limits = try #require(d.openFileLimits())
        if limits.hard == wanted {
            #expect(limits.soft == wanted)
        } else {
            #expect(limits.soft == inherited.hard && limits.hard == inherited.hard)
            #expect(d.text.contains("cannot raise the hard limit from \(inherited.hard) to \(wanted)"))
        }
        #expect(d.text.contains("descriptor limit: soft \(limits.soft), hard \(limits.hard)"))
        #expect(d.stop() == 0)
    }

    /// A share on a filesystem without file handles: a ramfs under the default namespace sandbox (the share is "/"
    /// of the daemon's mount namespace there), procfs without a sandbox (the namespace sandbox covers /proc).
    @Test(arguments: [("ramfs", [String]()), ("/proc/sys", ["--sandbox=none"])])
    func mandatoryFileHandlesOnAFilesystemWithoutThemIsAnErrorAtStart(share: String, sandbox: [String]) throws {
        let mount = share == "ramfs" ? try RamfsMount() : nil
        let directory = mount?.path ?? share
        let d = try Daemon(["--inode-file-handles=mandatory"] + sandbox, share: directory)
        #expect(!d.waitUntilListening())
        #expect(d.stop() == 1)
        let failure = "--inode-file-handles=mandatory: the filesystem of \(directory) exports no file handles"
        let lines = d.text.split(separator: "\n")
        #expect(lines.last?.contains(failure) == true, "\(d.text)")
        #expect(lines.filter { $0.contains("--inode-file-handles") }.count == 1, "\(d.text)")
        // With prefer, the same share is served by O_PATH descriptors, and the log says so.
        let p = try Daemon(sandbox, share: directory)
        #expect(p.waitUntilListening(), "\(p.text)")
        #expect(p.text.contains("file handles unavailable: the filesystem of \(directory) exports no file handles"),
                "\(p.text)")
        #expect(p.stop() == 0)
    }

    /// Without CAP_DAC_READ_SEARCH, handles cannot be opened: the log says what is missing, `prefer` serves with
    /// descriptors, `mandatory` refuses to start with one line. Dropped by setpriv from the bounding set before
    /// the daemon starts, or by the sandboxed daemon's own capability drop (`--modcaps=-dac_read_search`).
    @Test(arguments: [
        (["/usr/bin/setpriv", "--bounding-set=-dac_read_search", "--inh-caps=-dac_read_search", "--"], [String]()),
        ([], ["--modcaps=-dac_read_search"]),
    ])
    func missingCapDacReadSearchIsNamedInTheLog(prefix: [String], arguments: [String]) throws {
        try #require(geteuid() == 0, "the daemon tests run as root")
        let preferred = try Daemon(arguments, prefix: prefix)
        #expect(preferred.waitUntilListening(), "\(preferred.text)")
        #expect(preferred.text.contains("file handles unavailable: CAP_DAC_READ_SEARCH is missing"),
                "\(preferred.text)")
        #expect(preferred.stop() == 0)
        let mandatory = try Daemon(["--inode-file-handles=mandatory"] + arguments, prefix: prefix)
        #expect(!mandatory.waitUntilListening())
        #expect(mandatory.stop() == 1)
        #expect(mandatory.text.split(separator: "\n").last?.contains("--inode-file-handles=mandatory: opening file "
            + "handles needs CAP_DAC_READ_SEARCH") == true, "\(mandatory.text)")
    }
}

/// A ramfs (a filesystem without file handles) mounted on a fresh temporary directory, unmounted at deinit.
final class RamfsMount {
    let tree: TemporaryDirectory
    let path: String

    init() throws {
        tree = try TemporaryDirectory()
        path = try tree.directory("ramfs")
        guard Glibc.mount("none", path, "ramfs", 0, "mode=0755") == 0 else {
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
    }

    deinit { umount2(path, CInt(MNT_DETACH)) }
}
