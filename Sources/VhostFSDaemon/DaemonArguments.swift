import ArgumentParser

/// The daemon's command line as swift-argument-parser sees it: syntax only.
///
/// Every value is kept as the text the user typed; `DaemonCommandLine` turns it into a `DaemonConfiguration` so
/// that every bad value gets the same one-line message naming the option as it was spelled. Options follow
/// virtiofsd (the Rust one) where they overlap, including its legacy `-o` form; the options virtiofsd lacks are
/// marked "(vhostfsd)" in the help.
struct DaemonArguments: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vhostfsd",
        abstract: "Share a host directory with a virtual machine as a vhost-user virtio-fs device.",
        usage: """
            vhostfsd (--socket-path=PATH | --fd=N) --shared-dir=DIR [options]
            vhostfsd --print-capabilities
            """,
        discussion: """
            The guest mounts the share with: mount -t virtiofs TAG /mnt

            Legacy -o options (virtiofsd and libvirt), comma-separated, a doubled comma standing for a comma in a \
            value: source=DIR, cache=auto|always|never|none|metadata, xattr, no_xattr, writeback, no_writeback, \
            flock, no_flock, posix_lock, no_posix_lock, readdirplus, no_readdirplus, announce_submounts, \
            no_announce_submounts, allow_direct_io, no_allow_direct_io, posix_acl, no_posix_acl, \
            log_level=LEVEL (or loglevel=LEVEL), debug, sandbox=MODE, modcaps=CHANGES, killpriv_v2, no_killpriv_v2, \
            xattrmap=MAP; and, because it asks for what vhostfsd does anyway, no_security_label. security_label is \
            refused; any other -o option is an error.

            Started by systemd with socket activation (LISTEN_PID, LISTEN_FDS=1), vhostfsd serves the passed \
            socket when neither --socket-path nor --fd is given.

            Started as an ordinary user (without CAP_SETUID/CAP_SETGID), vhostfsd serves the share with that \
            user's rights: files the guest creates belong to it, and the start-up log names the root-only \
            features that are off. With --sandbox=namespace (the default) it first enters a user namespace of its \
            own, mapping the user's uid and gid, or the --uid-map/--gid-map ranges through newuidmap and newgidmap \
            (uidmap package; ranges from /etc/subuid and /etc/subgid), whose guest ids then own the files they \
            create. Where unprivileged user namespaces are not allowed the start fails with one line.

            Repeating an option keeps its last value. Giving one setting two different values through different \
            spellings (--xattr and --no-xattr, --cache=never and -o cache=always, --shared-dir and -o source) is an \
            error.

            Compatibility options that change nothing: --thread-pool-size (requests run on the reactors, never on \
            a thread pool) and -f (vhostfsd always stays in the foreground).

            Security: every path operation is relative to an O_PATH descriptor inside the share, one validated \
            component at a time, with O_NOFOLLOW. As a second wall the daemon enters a sandbox (--sandbox), drops \
            the capabilities it does not need (--modcaps) and installs a seccomp allow-list (--seccomp) before it \
            starts a thread. With a sandbox a supervisor process stays outside: it forwards SIGTERM, SIGINT and \
            SIGHUP to the daemon, removes the socket when the daemon ends and exits as the daemon did. Capabilities \
            kept by default: chown, dac_override, dac_read_search (not with --inode-file-handles=never), fowner, \
            fsetid, setgid, setuid, mknod, setfcap.

            Poll modes: a reactor blocked in epoll takes about 25 us to wake on an eventfd, a spinning one sees a \
            ring update in about 0.06 us. busy spins always (lowest latency, one full CPU per reactor); interrupt \
            always sleeps (no idle CPU); adaptive spins for --poll-us after the last work, then sleeps; auto spins \
            for a window that grows while spinning catches requests and shrinks when it does not (up to \
            --poll-us, as KVM's halt polling), and not at all while more threads are runnable than there are \
            CPUs, since a spinning thread then waits out other threads' time slices.

            Exit status: 0 after --help, --version, --print-capabilities or a clean shutdown; 1 when the daemon \
            fails after starting; 2 for any invalid command line, reported as one line on standard error.
            """,
        helpNames: [.short, .long]
    )

    // MARK: - Where to listen and what to share

    @Option(
        name: .customLong("socket-path"),
        help: ArgumentHelp(
            "vhost-user Unix socket to create and listen on. This or --fd is required.", valueName: "path"))
    var socketPath: String?

    @Option(
        name: .customLong("socket"),
        help: ArgumentHelp("Deprecated virtiofsd spelling of --socket-path.", valueName: "path"))
    var socket: String?

    @Option(
        name: .customLong("fd"),
        help: ArgumentHelp(
            "Inherited, already listening Unix socket to accept on (as libvirt passes it). This or --socket-path is "
                + "required.",
            valueName: "n"))
    var fd: String?

    @Option(
        name: .customLong("shared-dir"),
        help: ArgumentHelp("Directory to share; must exist. Required (or -o source=DIR).", valueName: "dir"))
    var sharedDir: String?

    @Option(
        name: .customLong("tag"),
        help: ArgumentHelp(
            "Tag the device advertises in its configuration space, which the guest names in mount: 1 to 36 "
                + "bytes. Only with it is the CONFIG protocol feature offered; QEMU sets the tag itself (tag=) and "
                + "ignores it. (default: none, the front-end's tag)",
            valueName: "tag"))
    var tag: String?

    // MARK: - Filesystem behaviour

    @Option(
        name: .customLong("cache"),
        help: ArgumentHelp(
            "Guest caching: auto (1 s timeouts, data kept while unchanged), always (1 day), never (no caching, "
                + "direct I/O; also none), metadata (1 day for names and attributes, no data). (default: auto)",
            valueName: "policy"))
    var cache: String?

    @Flag(name: .customLong("writeback"), help: "Enable the guest's writeback cache. (default: off)")
    var writeback = false

    @Flag(name: .customLong("xattr"), help: "Serve extended attributes. (default: off)")
    var xattr = false

    @Flag(name: .customLong("no-xattr"), help: "Do not serve extended attributes (vhostfsd).")
    var noXattr = false

    @Option(
        name: .customLong("xattrmap"),
        help: ArgumentHelp(
            "Map extended attribute names between guest and host with virtiofsd's rules, e.g. :map::user.virtiofs.: "
                + "(rules :type:scope:key:prefix: with type prefix, ok, bad or unsupported and scope all, client or "
                + "server; at most one :map:key:prefix: rule, last). Implies --xattr. (default: security.* but "
                + "security.selinux, and trusted.*, are unsupported)",
            valueName: "map"))
    var xattrmap: String?

    @Flag(name: .customLong("readonly"), help: "Refuse every change to the share with EROFS. (default: off)")
    var readonly = false

    @Flag(
        name: .customLong("killpriv-v2"),
        help: ArgumentHelp(
            "Offer FUSE_HANDLE_KILLPRIV_V2: a write, truncate, chown or O_TRUNC open by a guest user without "
                + "CAP_FSETID clears set-user-ID and set-group-ID bits, as a local file system does (virtiofsd "
                + "defaults to off). (default: on)"))
    var killprivV2 = false

    @Flag(
        name: .customLong("no-killpriv-v2"),
        help: "Do not offer KILLPRIV_V2: the guest kernel clears the bits itself, except with --cache=never.")
    var noKillprivV2 = false

    @Flag(
        name: .customLong("no-inline-reads"),
        help: ArgumentHelp(
            "Send every read through libaio instead of first trying preadv2(RWF_NOWAIT) on the reactor, which "
                + "serves page-cache hits in place and hands misses to the I/O engine (vhostfsd). "
                + "(default: inline reads on)"))
    var noInlineReads = false

    @Option(
        name: .customLong("io-engine"),
        help: ArgumentHelp(
            "How writes and reads that miss the page cache are done: libaio (writes through io_submit on the "
                + "reactor), threads (pwritev on the reactor; a burst to several files spread over helper "
                + "threads) or io_uring (the kernel's workers take what would block) (vhostfsd). (default: threads)",
            valueName: "engine"))
    var ioEngine: String?

    @Flag(
        name: .customLong("posix-lock"),
        help: "Serve POSIX record locks on the host (vhostfsd; -o posix_lock). (default: off, locks stay in the guest)")
    var posixLock = false

    @Flag(name: .customLong("no-posix-lock"), help: "Keep POSIX record locks local to the guest (vhostfsd).")
    var noPosixLock = false

    @Flag(
        name: .customLong("flock"),
        help: "Serve flock(2) locks on the host (vhostfsd; -o flock). (default: off, locks stay in the guest)")
    var flock = false

    @Flag(name: .customLong("no-flock"), help: "Keep flock(2) locks local to the guest (vhostfsd).")
    var noFlock = false

    @Flag(
        name: .customLong("no-readdirplus"),
        help: "Do not offer READDIRPLUS. (default: offered, except with --cache=never)")
    var noReaddirplus = false

    @Flag(
        name: .customLong("announce-submounts"),
        help: "Tell the guest which directories are host mount points, so they get their own st_dev. (default: off)")
    var announceSubmounts = false

    @Flag(name: .customLong("no-announce-submounts"), help: "Do not announce submounts.")
    var noAnnounceSubmounts = false

    // MARK: - Descriptors and file handles

    @Option(
        name: .customLong("inode-file-handles"),
        help: ArgumentHelp(
            "How nodes the guest looks up are held: never (an O_PATH descriptor each, so at most RLIMIT_NOFILE "
                + "of them), prefer (by file handle, reopened on demand, with O_PATH descriptors only as a cache; "
                + "where handles cannot be used, as never) or mandatory (file handles only: a shared directory "
                + "without them is an error at start). Handles need CAP_DAC_READ_SEARCH outside any user namespace: "
                + "root has it, an ordinary user's daemon does not. (default: prefer)",
            valueName: "mode"))
    var inodeFileHandles: String?

    @Option(
        name: .customLong("fd-cache"),
        help: ArgumentHelp(
            "With file handles, how many O_PATH descriptors of nodes stay open, 0 to 1048576; 0 reopens a node's "
                + "handle on every use (vhostfsd). (default: RLIMIT_NOFILE/2, 64 to 65536)",
            valueName: "n"))
    var fdCache: String?

    @Option(
        name: .customLong("rlimit-nofile"),
        help: ArgumentHelp(
            "Set the soft RLIMIT_NOFILE to N at start, and the hard limit too if N is above it (that needs "
                + "CAP_SYS_RESOURCE; without it the soft limit goes to the hard one); 0 leaves the limits unchanged. "
                + "(default: the hard limit)",
            valueName: "n"))
    var rlimitNofile: String?

    @Flag(
        name: .customLong("allow-direct-io"),
        help: ArgumentHelp(
            "Honour O_DIRECT from guest applications on the host (-o allow_direct_io). (default: off, the host page "
                + "cache serves the guest's direct I/O)"))
    var allowDirectIO = false

    @Flag(
        name: .customLong("preserve-noatime"),
        help: ArgumentHelp(
            "Pass the guest's O_NOATIME to the host open. (default: off, stripped as virtiofsd does: it is EPERM on "
                + "files the daemon's user does not own)"))
    var preserveNoatime = false

    @Flag(
        name: .customLong("allow-mmap"),
        help: ArgumentHelp(
            "With --cache=never or metadata, let the guest mmap files shared (FUSE_DIRECT_IO_ALLOW_MMAP, guest "
                + "Linux 6.6 and later; older guests ignore it). (default: off)"))
    var allowMmap = false

    @Flag(
        name: .customLong("posix-acl"),
        help: ArgumentHelp(
            "Serve POSIX ACLs (FUSE_POSIX_ACL; implies --xattr): the guest enforces them, the umask is applied on the "
                + "host unless the parent has a default ACL, ids in ACLs are translated with --translate-uid/gid. "
                + "(default: off)"))
    var posixACL = false

    @Flag(
        name: .customLong("security-label"),
        help: "virtiofsd: store the guest's SELinux label on new files (FUSE_SECURITY_CTX). Refused: not supported.")
    var securityLabel = false

    // MARK: - Migration (not supported)

    @Option(
        name: .customLong("migration-mode"),
        help: ArgumentHelp("virtiofsd migration option: refused.", valueName: "mode"))
    var migrationMode: String?

    @Option(
        name: .customLong("migration-on-error"),
        help: ArgumentHelp("virtiofsd migration option: refused.", valueName: "action"))
    var migrationOnError: String?

    @Flag(name: .customLong("migration-verify-handles"), help: "virtiofsd migration option: refused.")
    var migrationVerifyHandles = false

    @Flag(name: .customLong("migration-confirm-paths"), help: "virtiofsd migration option: refused.")
    var migrationConfirmPaths = false

    // MARK: - uid/gid translation

    @Option(
        name: .customLong("translate-uid"),
        help: ArgumentHelp(
            "Translate uids between guest and host inside the daemon, virtiofsd's syntax: guest:G:H:N, host:H:G:N, "
                + "squash-guest:G:H:N, squash-host:H:G:N, forbid-guest:G:N or map:G:H:N (ranges [base, base+N)). "
                + "Ids no rule covers pass unchanged; forbid-guest gives EPERM. May be repeated; rules of one "
                + "direction must not overlap.",
            valueName: "rule"))
    var translateUID: [String] = []

    @Option(
        name: .customLong("translate-gid"),
        help: ArgumentHelp("Same as --translate-uid, for gids.", valueName: "rule"))
    var translateGID: [String] = []

    @Option(
        name: .customLong("uid-map"),
        help: ArgumentHelp(
            "A user namespace's uid map, :NAMESPACE_UID:HOST_UID:COUNT: (virtiofsd; the guest sees namespace uids). "
                + "Started by an ordinary user with --sandbox=namespace, it becomes the map of the daemon's user "
                + "namespace (newuidmap); otherwise vhostfsd applies it itself, with the kernel's rules: an "
                + "unmapped host uid shows as 65534, an unmapped guest uid is EINVAL. May be repeated.",
            valueName: ":ns:host:count:"))
    var uidMap: [String] = []

    @Option(
        name: .customLong("gid-map"),
        help: ArgumentHelp("Same as --uid-map, for gids.", valueName: ":ns:host:count:"))
    var gidMap: [String] = []

    // MARK: - Queues and reactors (vhostfsd)

    @Option(
        name: .customLong("queues"),
        help: ArgumentHelp(
            "Number of request queues offered, 1 to 64; the hiprio queue comes in addition (vhostfsd). (default: 1)",
            valueName: "n"))
    var queues: String?

    @Option(
        name: .customLong("queue-size"),
        help: ArgumentHelp(
            "Largest queue size accepted: a power of two from 64 to 32768 (vhostfsd). (default: 1024)",
            valueName: "n"))
    var queueSize: String?

    @Option(
        name: .customLong("max-write"),
        help: ArgumentHelp(
            "FUSE max_write: bytes, or with a K or M suffix; a multiple of 4096 from 4K to 16M (vhostfsd). "
                + "(default: 1M)",
            valueName: "bytes"))
    var maxWrite: String?

    @Option(
        name: .customLong("reactor-cpus"),
        help: ArgumentHelp(
            "CPUs to pin reactors to, one reactor each, e.g. 0,1,4-6; each must be online and in this process's "
                + "affinity, and there may be no more reactors than queues (vhostfsd). (default: one reactor, "
                + "unpinned when only one CPU is online)",
            valueName: "list"))
    var reactorCPUs: String?

    @Option(
        name: .customLong("poll-mode"),
        help: ArgumentHelp(
            "How reactors wait for work: auto, busy, adaptive or interrupt (vhostfsd). (default: auto)",
            valueName: "mode"))
    var pollMode: String?

    @Option(
        name: .customLong("poll-us"),
        help: ArgumentHelp(
            "With --poll-mode=auto, the longest the spin window grows to; with adaptive, the fixed spin after the "
                + "last work; microseconds, 0 to 1000000 (vhostfsd). (default: 200)",
            valueName: "us"))
    var pollMicroseconds: String?

    // MARK: - Logging

    @Option(
        name: .customLong("log-level"),
        help: ArgumentHelp(
            "Least severe messages logged: error (or err), warn (or warning), info, debug, trace, off. "
                + "(default: info)",
            valueName: "level"))
    var logLevel: String?

    @Flag(name: .customLong("syslog"), help: "Log to the system log instead of standard error. (default: off)")
    var syslog = false

    @Flag(name: .customShort("d"), help: "Same as --log-level=debug (deprecated virtiofsd option).")
    var debug = false

    // MARK: - Compatibility

    @Option(
        name: .customLong("thread-pool-size"),
        help: ArgumentHelp(
            "Accepted for virtiofsd compatibility and unused: requests run on the reactors. (default: 0)",
            valueName: "n"))
    var threadPoolSize: String?

    @Option(
        name: .customLong("sandbox"),
        help: ArgumentHelp(
            "namespace (new mount, PID, network and IPC namespaces with the shared directory as root; as an "
                + "ordinary user, in a user namespace of its own), chroot (where namespaces are not allowed; "
                + "weaker; root only) or none. Start-up fails if it cannot be entered. (default: namespace)",
            valueName: "mode"))
    var sandbox: String?

    @Option(
        name: .customLong("seccomp"),
        help: ArgumentHelp(
            "What a system call outside the daemon's allow-list does: kill (the daemon), log (runs, logged by the "
                + "kernel), trap (fails with ENOSYS, reported on standard error) or none (no filter). "
                + "(default: kill)",
            valueName: "action"))
    var seccomp: String?

    @Option(
        name: .customLong("modcaps"),
        help: ArgumentHelp(
            "Capabilities to keep or drop besides the defaults, e.g. +sys_admin:-mknod (names from "
                + "capabilities(7) without CAP_).",
            valueName: "changes"))
    var modcaps: String?

    @Option(
        name: .customLong("socket-group"),
        help: ArgumentHelp(
            "Group (name or gid) owning the socket --socket-path creates; the socket's mode is 0660 whatever the "
                + "umask. (default: the daemon's group)",
            valueName: "group"))
    var socketGroup: String?

    @Option(
        name: .customShort("o"),
        help: ArgumentHelp(
            "Legacy virtiofsd options, comma-separated, e.g. -o source=/srv,cache=always,xattr (listed below). "
                + "May be repeated.",
            valueName: "opt[,opt...]"))
    var compatOptions: [String] = []

    @Flag(name: .customShort("f"), help: "Accepted and ignored: vhostfsd always runs in the foreground.")
    var foreground = false

    // MARK: - Information

    @Flag(
        name: .customLong("print-capabilities"),
        help: "Print the vhost-user backend capabilities as JSON and exit; needs no other option.")
    var printCapabilities = false

    @Flag(name: [.customShort("V"), .customLong("version")], help: "Print the version and exit.")
    var version = false

    #if DEBUG
    // MARK: - Test switches (debug builds only)

    @Flag(name: .customLong("debug-unconfined-lookup"), help: .hidden)
    var debugUnconfinedLookup = false

    @Flag(name: .customLong("debug-forbidden-syscall"), help: .hidden)
    var debugForbiddenSyscall = false
    #endif
}
