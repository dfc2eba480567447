import Glibc
import LinuxSystem
import Logging

/// The process left outside the sandbox, the parent of the sandboxed daemon. It holds only the capabilities to
/// remove the socket, and it never reads anything a guest or a front-end sends.
///
/// - SIGTERM, SIGINT and SIGHUP are forwarded to the daemon, which stops cleanly (its signal thread takes them;
///   blocked signals reach a namespace's PID 1 too).
/// - When the daemon ends, the supervisor removes the socket file it created (the daemon cannot see it from inside
///   the sandbox), and ends the same way: the same exit status, or, after one line saying so, the same signal
///   (without a core file). A seccomp kill shows as SIGSYS, named as such. So whoever started the daemon (libvirt,
///   a test) sees what it would have seen without a sandbox.
/// - If the supervisor itself is killed, the daemon gets SIGTERM (parent-death signal) and stops.
enum DaemonSupervisor {
    /// Supervises `child` until it ends, then ends like it.
    ///
    /// - Parameters:
    ///   - child: the daemon's pid.
    ///   - signals: the blocked signals to take with sigwait (termination signals and SIGCHLD).
    ///   - socketFile: the socket file to remove when the daemon ends.
    ///   - logger: for the one line about a daemon killed by a signal.
    ///   - userNamespace: whether supervisor and daemon run in a user namespace of their own (the supervisor then
    ///     keeps CAP_KILL over it).
    static func run(child: pid_t, signals: sigset_t, socketFile: DaemonSocket.CreatedFile?, logger: Logger,
                    userNamespace: Bool = false) -> Never
    {
        do {
            let kept = DaemonCapabilities.supervisorSet
                .union(userNamespace ? DaemonCapabilities.supervisorUserNamespaceSet : [])
            try DaemonCapabilities.restrict(to: kept.intersection(try ThreadCapabilities.current().permitted))
        } catch {
            logger.warning("supervisor: \(error)")
        }
        var set = signals
        while true {
            var received: CInt = 0
            guard sigwait(&set, &received) == 0 else { continue }
            if received != SIGCHLD {
                _ = kill(child, received)
                continue
            }
            while let (pid, termination) = try? ProcessCall.reap(-1) {
                if pid == child { finish(child: child, termination, socketFile: socketFile, logger: logger) }
            }
        }
    }

    /// Removes the socket and ends the supervisor as the daemon ended.
    private static func finish(
        child: pid_t, _ termination: ProcessCall.Termination, socketFile: DaemonSocket.CreatedFile?, logger: Logger
    ) -> Never {
        socketFile?.removeIfUnchanged()
        switch termination {
        case .exited(let status):
            exit(status)
        case .signaled(let signal):
            let why =
                signal == SIGSYS
                ? ": it made a system call outside the seccomp allow-list (--seccomp=trap names the call and "
                    + "keeps the daemon running; --seccomp=log lets it run and logs it to the kernel log)"
                : ""
            logger.critical("the sandboxed daemon (pid \(child)) was killed by \(ProcessCall.signalName(signal))\(why)")
            var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
            _ = setrlimit(RLIMIT_CORE, &noCore)
            raiseWithDefaultAction(signal)
            exit(128 + signal)
        }
    }

    /// Restores the default action of `signal`, unblocks it and sends it to this process.
    private static func raiseWithDefaultAction(_ signal: CInt) {
        _ = Glibc.signal(signal, SIG_DFL)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signal)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        _ = raise(signal)
    }
}
