import Glibc
import LinuxSystem
import Testing

@testable import VhostFSDaemon

/// `--sandbox`, `--seccomp`, `--modcaps` (virtiofsd's syntax) and `--socket-group` on the command line, the
/// capability names, and the seccomp allow-list table itself.
@Suite struct SandboxOptionTests {
    typealias Changes = DaemonConfiguration.CapabilityChanges

    /// `--modcaps` values and the capabilities the daemon then keeps (names as capabilities(7) spells them, without
    /// CAP_, in number order).
    static let modcapsCases: [(text: String, kept: String)] = [
        ("+sys_admin", "chown,dac_override,dac_read_search,fowner,fsetid,setgid,setuid,sys_admin,mknod,setfcap"),
        ("-mknod", "chown,dac_override,dac_read_search,fowner,fsetid,setgid,setuid,setfcap"),
        ("+sys_admin:-mknod", "chown,dac_override,dac_read_search,fowner,fsetid,setgid,setuid,sys_admin,setfcap"),
        ("-chown:-dac_override:-dac_read_search:-fowner:-fsetid:-setgid:-setuid:-mknod:-setfcap", "none"),
        // Case and the CAP_ prefix do not matter; the last word about a capability wins.
        ("+SYS_ADMIN:-sys_admin", "chown,dac_override,dac_read_search,fowner,fsetid,setgid,setuid,mknod,setfcap"),
        ("-mknod:+CAP_MKNOD", "chown,dac_override,dac_read_search,fowner,fsetid,setgid,setuid,mknod,setfcap"),
        ("+cap_kill:+checkpoint_restore",
         "chown,dac_override,dac_read_search,fowner,fsetid,kill,setgid,setuid,mknod,setfcap,checkpoint_restore"),
    ]

    @Test(arguments: modcapsCases)
    func modcapsChangesTheKeptSet(text: String, kept: String) throws {
        let changes = try Changes.parse(text, option: "--modcaps")
        #expect(changes.applied(to: DaemonCapabilities.defaultSet).description == kept)
        let f = try CommandLineFixture()
        for arguments in [["--modcaps=\(text)"], ["-o", "modcaps=\(text)"]] {
            let c = try configuration(["--socket-path=\(f.socketPath)", "--shared-dir=\(f.share)"] + arguments)
            #expect(c.capabilityChanges == changes)
        }
    }

    static let badModcaps: [(text: String, message: String)] = [
        ("sys_admin", "--modcaps: sys_admin must start with + or - (e.g. +sys_admin:-mknod)"),
        ("+sys_admin:", "--modcaps: empty item in +sys_admin: (expected +name or -name, separated by ':')"),
        (":+sys_admin", "--modcaps: empty item in :+sys_admin (expected +name or -name, separated by ':')"),
        ("+sys_admin::-mknod",
         "--modcaps: empty item in +sys_admin::-mknod (expected +name or -name, separated by ':')"),
        ("+", "--modcaps: (empty) is not a capability name"),
        ("-sys_bogus", "--modcaps: sys_bogus is not a capability name"),
        ("+sys_admin,-mknod", "--modcaps: sys_admin,-mknod is not a capability name"),
        ("*mknod", "--modcaps: *mknod must start with + or - (e.g. +sys_admin:-mknod)"),
        ("+cap_", "--modcaps: cap_ is not a capability name"),
    ]

    @Test(arguments: badModcaps)
    func badModcapsIsAOneLineUsageError(text: String, message: String) throws {
        let f = try CommandLineFixture()
        #expect(failureMessage(["--socket-path=\(f.socketPath)", "--shared-dir=\(f.share)", "--modcaps=\(text)"])
            == message)
    }

    @Test func seccompAndSandboxValues() throws {
        let f = try CommandLineFixture()
        let base = ["--socket-path=\(f.socketPath)", "--shared-dir=\(f.share)"]
        for mode in DaemonConfiguration.SeccompMode.allCases {
            #expect(try configuration(base + ["--seccomp=\(mode.rawValue)"]).seccomp == mode)
        }
        for mode in DaemonConfiguration.Sandbox.allCases {
            #expect(try configuration(base + ["--sandbox=\(mode.rawValue)"]).sandbox == mode)
        }
        #expect(failureMessage(base + ["--seccomp=allow"]) == "--seccomp: allow is not one of kill, log, trap, none")
        #expect(failureMessage(base + ["--seccomp", ""]) == "--seccomp: empty value")
        #expect(failureMessage(base + ["--modcaps", ""]) == "--modcaps: empty value")
        #expect(failureMessage(base + ["--socket-group", ""]) == "--socket-group: empty value")
        #expect(failureMessage(base + ["--seccomp=kill", "--seccomp=log"]) == nil)
    }

    @Test func socketGroupByNameOrNumber() throws {
        let f = try CommandLineFixture()
        let base = ["--socket-path=\(f.socketPath)", "--shared-dir=\(f.share)"]
        #expect(try configuration(base + ["--socket-group=4242"]).socketGroup?.id == 4242)
        #expect(try configuration(base + ["--socket-group=root"]).socketGroup?.id == 0)
        #expect(
            failureMessage(base + ["--socket-group=no-such-group-here"])
                == "--socket-group: no group named no-such-group-here")
        #expect(failureMessage(base + ["--socket-group=4294967295"]) == "--socket-group: 4294967295 is not a gid")
        #expect(
            failureMessage(["--fd=\(f.socket.fd)", "--shared-dir=\(f.share)", "--socket-group=0"])
                == "--socket-group applies only to --socket-path: an inherited --fd socket belongs to its creator")
    }

    /// Hole 6: no guest path has more than one component (names are validated single components; the only
    /// multi-component paths are the operator's and /proc/self/fd/N), so RESOLVE_BENEATH has nothing to resolve and
    /// the help no longer claims it.
    @Test func helpClaimsNoResolveBeneath() throws {
        guard case .print(let help) = parse(["--help"]) else {
            Issue.record("--help did not print")
            return
        }
        #expect(!help.contains("RESOLVE_BENEATH"))
        #expect(help.contains("O_NOFOLLOW"))
    }

    @Test func capabilityNamesAreTheKernels() {
        #expect(CapabilitySet.names.count == 41)
        for (number, name) in CapabilitySet.names.enumerated() {
            #expect(CapabilitySet(name: name) == CapabilitySet(number: number))
            #expect(CapabilitySet(name: "CAP_" + name.uppercased()) == CapabilitySet(number: number))
        }
        #expect(CapabilitySet(name: "sys_bogus") == nil)
        // This kernel knows at least the named capabilities (Linux 5.9+: checkpoint_restore is 40).
        #expect(ThreadCapabilities.lastSupported >= 40)
        #expect(DaemonCapabilities.defaultSet.rawValue == 0x8800_00df)
    }

    /// Every row names a system call libseccomp knows on this architecture, once, with a reason.
    @Test func allowListRowsResolve() {
        var seen = Set<String>()
        for row in SystemCallAllowList.rows {
            #expect(SeccompFilter.systemCallNumber(row.name) != nil, "libseccomp does not know \(row.name)")
            #expect(seen.insert(row.name).inserted, "\(row.name) is listed twice")
            #expect(!row.reason.isEmpty)
        }
        // What must never be allowed: new processes, mounts, namespaces, root changes, tracing, kernel modules.
        for forbidden in ["execve", "execveat", "fork", "vfork", "mount", "umount2", "pivot_root", "chroot", "setns",
                          "ptrace", "init_module", "finit_module", "kexec_load", "bpf", "perf_event_open", "reboot",
                          "process_vm_readv", "process_vm_writev", "keyctl", "add_key", "userfaultfd"] {
            #expect(!seen.contains(forbidden), "\(forbidden) must not be on the allow-list")
        }
    }
}
