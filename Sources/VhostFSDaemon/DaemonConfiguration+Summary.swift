extension DaemonConfiguration {
    /// One human-readable paragraph describing the configuration, for the start-up log line.
    public var summary: String {
        let queueWord = queues == 1 ? "request queue" : "request queues"
        let reactors: String
        if let reactorCPUs {
            let word = reactorCPUs.count == 1 ? "reactor" : "reactors"
            reactors =
                "\(reactorCPUs.count) \(word) pinned to CPU \(reactorCPUs.map(String.init).joined(separator: ","))"
        } else {
            reactors = "1 reactor (default placement)"
        }
        let polling =
            switch pollMode {
            case .adaptive: "adaptive polling (spin \(pollMicroseconds) us, then sleep)"
            case .auto: "auto polling (self-tuning spin of at most \(pollMicroseconds) us, none under contention)"
            case .busy: "busy polling"
            case .interrupt: "interrupt-driven waiting"
            }
        let logging = logLevel == .off ? "logging off" : "log level \(logLevel.rawValue) to \(logDestination.rawValue)"
        let sharing = tag.map { "Sharing \(sharedDirectory) as tag \"\($0)\"" } ?? "Sharing \(sharedDirectory)"
        return "\(sharing) on \(listen): "
            + "cache \(cache.rawValue), writeback \(onOff(writeback)), xattr \(onOff(xattr)), "
            + (xattr ? "xattr map \(xattrMapSummary), " : "")
            + "killpriv_v2 \(onOff(killprivV2)), "
            + (readOnly ? "read-only" : "read-write") + ", "
            + (inlineReads ? "inline page-cache reads" : "all reads through libaio") + ", "
            + "I/O engine \(ioEngine.rawValue), "
            + "POSIX locks \(posixLocks ? "on the host" : "local to the guest"), "
            + "flock \(flock ? "on the host" : "local to the guest"), "
            + "READDIRPLUS \(onOff(readdirplus)), submounts \(announceSubmounts ? "announced" : "not announced"); "
            + "\(queues) \(queueWord) (plus hiprio) of up to \(queueSize) entries, max_write \(Self.bytes(maxWrite)); "
            + "\(reactors), \(polling); \(logging); sandbox \(sandbox.rawValue), seccomp \(seccomp.rawValue)"
            + (capabilityChanges == CapabilityChanges() ? "" : ", capability changes \(capabilityChanges)")
            + (socketGroup.map { ", socket group \($0)" } ?? "") + "; "
            + "inode file handles \(inodeFileHandles.rawValue), "
            + "descriptor cache \(descriptorCache.map(String.init) ?? "sized from RLIMIT_NOFILE"), "
            + "RLIMIT_NOFILE \(descriptorLimit)"
            + (idTranslation.isEmpty ? "" : "; \(idTranslation.summary)") + guestFlagSummary + "."
    }

    /// Things the operator asked for that the daemon does not do, one sentence each, to log as warnings at start.
    public var warnings: [String] {
        var result: [String] = []
        if sandbox == .none {
            result.append(
                "--sandbox=none: no sandbox; confinement to \(sharedDirectory) rests on the passthrough device alone "
                    + "(O_PATH descriptors, one validated component at a time, O_NOFOLLOW)")
        }
        if threadPoolSize > 0 {
            result.append(
                "--thread-pool-size=\(threadPoolSize) is ignored: requests run on the reactors, never on a thread pool")
        }
        return result
    }

    /// The virtiofsd flags that are on, e.g. `; allow-direct-io, POSIX ACLs`, or nothing.
    private var guestFlagSummary: String {
        let on = [("allow-direct-io", allowDirectIO), ("preserve-noatime", preserveNoatime), ("allow-mmap", allowMmap),
                  ("POSIX ACLs", posixACL)].filter(\.1).map(\.0)
        return on.isEmpty ? "" : "; " + on.joined(separator: ", ")
    }

    private func onOff(_ value: Bool) -> String { value ? "on" : "off" }

    private var xattrMapSummary: String {
        xattrMap.map { "\"\($0.text)\"" } ?? "default (security.* but security.selinux, and trusted.*, unsupported)"
    }

    /// A byte count in MiB or KiB when exact.
    private static func bytes(_ count: Int) -> String {
        if count % (1 << 20) == 0 { return "\(count >> 20) MiB" }
        if count % (1 << 10) == 0 { return "\(count >> 10) KiB" }
        return "\(count) bytes"
    }
}
