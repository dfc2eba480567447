import Glibc
import Testing

@testable import VhostFSDaemon

/// systemd's socket activation variables (sd_listen_fds(3)).
@Suite struct SocketActivationTests {
    @Test func takesOneSocketPassedToThisProcess() throws {
        let me: pid_t = 4242
        #expect(try SocketActivation.descriptor(environment: [:], processID: me) == nil)
        #expect(try SocketActivation.descriptor(environment: ["LISTEN_PID": "4242", "LISTEN_FDS": "1"], processID: me)
            == 3)
        // Another process's sockets (a parent that left the variables set) are not ours.
        #expect(try SocketActivation.descriptor(environment: ["LISTEN_PID": "1", "LISTEN_FDS": "1"], processID: me)
            == nil)
        #expect(try SocketActivation.descriptor(environment: ["LISTEN_FDS": "1"], processID: me) == nil)
        #expect(try SocketActivation.descriptor(environment: ["LISTEN_PID": "4242", "LISTEN_FDS": "0"], processID: me)
            == nil)
        #expect(throws: DaemonConfigurationError(
            "socket activation passed 2 sockets (LISTEN_FDS=2); vhostfsd serves exactly one")) {
            try SocketActivation.descriptor(environment: ["LISTEN_PID": "4242", "LISTEN_FDS": "2"], processID: me)
        }
        #expect(throws: DaemonConfigurationError("socket activation: LISTEN_FDS=x is not a number of sockets")) {
            try SocketActivation.descriptor(environment: ["LISTEN_PID": "4242", "LISTEN_FDS": "x"], processID: me)
        }
    }

    @Test func anActivatedSocketIsServedWhenNoListenOptionIsGiven() throws {
        let fixture = try CommandLineFixture()
        let environment = ["LISTEN_PID": "4242", "LISTEN_FDS": "1"]
        // Descriptor 3 is whatever this test process has there; the command line checks it is a socket.
        let outcome = DaemonCommandLine.parse(["--shared-dir=\(fixture.share)"], allowedCPUs: testCPUs,
                                              environment: environment, processID: 4242)
        var st = stat()
        if fstat(3, &st) == 0 && st.st_mode & S_IFMT == S_IFSOCK {
            guard case .run(let c) = outcome else { Issue.record("\(outcome)"); return }
            #expect(c.listen == .inheritedFD(3))
        } else {
            guard case .failure(let error) = outcome else { Issue.record("\(outcome)"); return }
            #expect(error.message.hasPrefix("socket activation (LISTEN_FDS): "), "\(error)")
        }
        // Explicit options win over the environment.
        let explicit = DaemonCommandLine.parse(
            ["--shared-dir=\(fixture.share)", "--socket-path=\(fixture.socketPath)"], allowedCPUs: testCPUs,
            environment: environment, processID: 4242)
        guard case .run(let c) = explicit else { Issue.record("\(explicit)"); return }
        #expect(c.listen == .socketPath(fixture.socketPath))
        #expect(DaemonCommandLine.parse(["--shared-dir=\(fixture.share)"], allowedCPUs: testCPUs,
                                        environment: ["LISTEN_PID": "4242", "LISTEN_FDS": "3"], processID: 4242)
            == .failure(DaemonConfigurationError(
                "socket activation passed 3 sockets (LISTEN_FDS=3); vhostfsd serves exactly one")))
    }
}
