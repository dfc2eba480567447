import CLinux
import CSeccomp
import Glibc

/// A seccomp system-call filter built with libseccomp (seccomp(2), seccomp_init(3)).
///
/// libseccomp checks the architecture (a 32-bit or x32 call on x86_64 takes the default action), resolves names to
/// the running architecture's numbers, compiles argument comparisons and can load the filter on every thread of the
/// process at once (TSYNC). libseccomp calls return -errno and do not set errno. Threading: build and load on one
/// thread.
public final class SeccompFilter {
    /// What the filter does with a call.
    public enum Action: Sendable, Hashable {
        /// Let the call run.
        case allow
        /// Kill the whole process as if by SIGSYS (SECCOMP_RET_KILL_PROCESS).
        case killProcess
        /// Send SIGSYS to the thread; the call does not run (SECCOMP_RET_TRAP).
        case trap
        /// Let the call run and log it to the kernel's audit log (SECCOMP_RET_LOG).
        case log
        /// Fail the call with this errno without running it (SECCOMP_RET_ERRNO).
        case errno(CInt)

        var rawValue: UInt32 {
            switch self {
            case .allow: SCMP_ACT_ALLOW
            case .killProcess: SCMP_ACT_KILL_PROCESS
            case .trap: SCMP_ACT_TRAP
            case .log: SCMP_ACT_LOG
            case .errno(let code): CSeccomp_act_errno(UInt16(truncatingIfNeeded: code))
            }
        }
    }

    /// A condition on one system-call argument; a rule with several applies when all hold.
    public struct Condition: Sendable, Hashable {
        /// Argument index, 0...5.
        public var argument: UInt32
        /// `argument & mask == value`.
        public var mask: UInt64
        /// The value compared.
        public var value: UInt64

        /// The argument equals `value`.
        public static func equals(_ argument: UInt32, _ value: UInt64) -> Condition {
            Condition(argument: argument, mask: UInt64.max, value: value)
        }

        /// The bits of `mask` in the argument are exactly `value`.
        public static func masked(_ argument: UInt32, mask: UInt64, equals value: UInt64) -> Condition {
            Condition(argument: argument, mask: mask, value: value)
        }
    }

    private let context: scmp_filter_ctx

    /// Starts a filter whose default, for calls no rule matches, is `defaultAction`.
    /// - Throws: ENOMEM or EINVAL from seccomp_init.
    public init(defaultAction: Action) throws(Errno) {
        guard let context = seccomp_init(defaultAction.rawValue) else { throw .invalidArgument }
        self.context = context
    }

    deinit { seccomp_release(context) }

    /// The number of system call `name` on this architecture, nil if libseccomp does not know the name. The
    /// corresponding C function is `seccomp_syscall_resolve_name`.
    public static func systemCallNumber(_ name: String) -> CInt? {
        let number = seccomp_syscall_resolve_name(name)
        return number < 0 ? nil : number
    }

    /// The name of system call `number` on this architecture, nil if unknown. The corresponding C function is
    /// `seccomp_syscall_resolve_num_arch`.
    public static func systemCallName(_ number: CInt) -> String? {
        guard let name = seccomp_syscall_resolve_num_arch(UInt32(SCMP_ARCH_NATIVE), number) else { return nil }
        defer { free(name) }
        return String(cString: name)
    }

    /// Adds a rule: `action` for system call `number` when every condition holds. The corresponding C function is
    /// `seccomp_rule_add_array`.
    public func add(_ action: Action, systemCall number: CInt, when conditions: [Condition] = []) throws(Errno) {
        let comparisons = conditions.map { condition in
            scmp_arg_cmp(arg: condition.argument, op: SCMP_CMP_MASKED_EQ, datum_a: condition.mask,
                         datum_b: condition.value)
        }
        let r = comparisons.withUnsafeBufferPointer { buffer in
            seccomp_rule_add_array(context, action.rawValue, number, UInt32(buffer.count), buffer.baseAddress)
        }
        if r < 0 { throw Errno(rawValue: -r) }
    }

    /// Whether loading also installs the filter on every other thread of the process (SECCOMP_FILTER_FLAG_TSYNC).
    /// The corresponding C function is `seccomp_attr_set(SCMP_FLTATR_CTL_TSYNC)`.
    public func synchronizeAllThreads(_ on: Bool) throws(Errno) {
        let r = seccomp_attr_set(context, SCMP_FLTATR_CTL_TSYNC, on ? 1 : 0)
        if r < 0 { throw Errno(rawValue: -r) }
    }

    /// What a call of another ABI (i386 or x32 on x86_64) gets; libseccomp's default kills only the thread. The
    /// corresponding C function is `seccomp_attr_set(SCMP_FLTATR_ACT_BADARCH)`.
    public func setForeignArchitectureAction(_ action: Action) throws(Errno) {
        let r = seccomp_attr_set(context, SCMP_FLTATR_ACT_BADARCH, action.rawValue)
        if r < 0 { throw Errno(rawValue: -r) }
    }

    /// Compiles the rules into a binary tree of system-call numbers instead of a linear list (libseccomp 2.5's
    /// optimization level 2): with a hundred rules, a call costs a few comparisons instead of up to a hundred. The
    /// corresponding C function is `seccomp_attr_set(SCMP_FLTATR_CTL_OPTIMIZE, 2)`.
    public func useBinaryTree() throws(Errno) {
        let r = seccomp_attr_set(context, SCMP_FLTATR_CTL_OPTIMIZE, 2)
        if r < 0 { throw Errno(rawValue: -r) }
    }

    /// Loads the filter into the kernel; it can never be removed. libseccomp sets no_new_privs first, so no
    /// capability is needed. The corresponding C function is `seccomp_load`.
    public func load() throws(Errno) {
        let r = seccomp_load(context)
        if r < 0 { throw Errno(rawValue: -r) }
    }

    /// The calling thread's seccomp mode from prctl(PR_GET_SECCOMP): 0 none, 2 filter.
    public static var currentMode: CInt { CLinux_prctl(PR_GET_SECCOMP, 0, 0, 0, 0) }
}
