import Foundation
import QEMUTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension EndToEndTests {
    static let killprivModes: [mode_t] = [0o4777, 0o2777, 0o6777, 0o2767, 0o777]

    /// The checks GuestScripts/killpriv.sh prints, in order.
    static let killprivChecks: [String] = killprivModes.flatMap { m -> [String] in
        let name = String(m, radix: 8)
        return ["write", "truncate", "open-trunc", "chown"].map { "killpriv-\($0)-\(name)" }
    } + ["killpriv-root-write-keeps", "killpriv-data-written"]

    /// Issue 10, hole 2: a guest user who does not own a set-user-ID file writes to it (and truncates it); with
    /// `--cache=never` the bits used to survive, because the guest kernel leaves direct I/O to the back-end and the
    /// back-end writes as root.
    @Test("set-ID bits are cleared when another guest user writes, truncates or chowns (--cache=never)",
          .timeLimit(.minutes(5)))
    func setIDBitsAfterWritesByOtherUsers() async throws {
        try requireHost()
        let share = try E2EShare()
        try share.mkdir("kp")
        var files: [String: mode_t] = [:]
        for m in Self.killprivModes {
            for kind in ["write", "truncate", "open-trunc", "chown"] {
                files["kp/\(kind)-\(String(m, radix: 8))"] = m
            }
        }
        files["kp/root-write-6777"] = 0o6777
        for (name, mode) in files {
            try share.write(name, "data\n")
            #expect(chown(share.path(name), 0, 0) == 0 && chmod(share.path(name), mode) == 0)
        }

        let server = try startBackend(share, extraArguments: backend.cacheNeverArguments)
        let (_, report) = try await boot(
            script: "killpriv.sh", devices: [VhostUserFSDevice(socketPath: server.socketPath, tag: Self.tag)],
            backends: [server])
        report.expectAll(Self.killprivChecks, context: "back-end log:\n\(server.log.suffix(3000))")

        // The host sees the same modes.
        for (name, mode) in files where name != "kp/root-write-6777" {
            let expected: mode_t = mode == 0o2767 ? 0o2767 : 0o777
            #expect(HostSide.lstat(share.path(name)).map { $0.st_mode & 0o7777 } == expected, "\(name)")
        }
        #expect(HostSide.lstat(share.path("kp/root-write-6777")).map { $0.st_mode & 0o7777 } == 0o6777)
        #expect(HostSide.text(share.path("kp/write-4777")) == "data\nmore\n")
    }
}
