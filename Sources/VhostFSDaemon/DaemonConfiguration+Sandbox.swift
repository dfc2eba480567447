import Glibc
import LinuxSystem

extension DaemonConfiguration {
    /// What the seccomp filter does with a system call outside the daemon's allow-list (`--seccomp`, virtiofsd's
    /// values). See `SystemCallAllowList`.
    public enum SeccompMode: String, Sendable, Hashable, CaseIterable {
        /// Kill the daemon (SIGSYS); the supervisor outside the sandbox reports it (the default).
        case kill
        /// Let the call run and have the kernel log it (audit log, `dmesg`): for finding what the list lacks.
        case log
        /// Make the call fail with ENOSYS and print one line naming it on standard error; the daemon goes on.
        case trap
        /// No filter.
        case none
    }

    /// `--modcaps`: capabilities added to or removed from the set the daemon keeps, in virtiofsd's syntax
    /// `+sys_admin:-mknod` (items separated by `:`, each `+` or `-` and a capability name from
    /// capabilities(7) without `CAP_`, any case). A later item about the same capability wins.
    public struct CapabilityChanges: Sendable, Hashable, CustomStringConvertible {
        /// Capabilities to keep in addition to the default set.
        public private(set) var added: CapabilitySet = []
        /// Capabilities to drop although the default set keeps them.
        public private(set) var removed: CapabilitySet = []

        /// No change.
        public init() {}

        /// Parses `text`.
        /// - Parameter option: the option as spelled, for messages.
        /// - Throws: `DaemonConfigurationError` for an empty item, an item without `+` or `-`, or an unknown name.
        public static func parse(_ text: String, option: String) throws(DaemonConfigurationError)
            -> CapabilityChanges
        {
            var changes = CapabilityChanges()
            for item in text.split(separator: ":", omittingEmptySubsequences: false) {
                guard let sign = item.first else {
                    throw .option(option, "empty item in \(text) (expected +name or -name, separated by ':')")
                }
                guard sign == "+" || sign == "-" else {
                    throw .option(option, "\(item) must start with + or - (e.g. +sys_admin:-mknod)")
                }
                let name = String(item.dropFirst())
                guard !name.isEmpty, let capability = CapabilitySet(name: name) else {
                    throw .option(option, "\(name.isEmpty ? "(empty)" : name) is not a capability name")
                }
                if sign == "+" {
                    changes.added.formUnion(capability)
                    changes.removed.subtract(capability)
                } else {
                    changes.removed.formUnion(capability)
                    changes.added.subtract(capability)
                }
            }
            return changes
        }

        /// `base` with the changes applied.
        public func applied(to base: CapabilitySet) -> CapabilitySet { base.union(added).subtracting(removed) }

        /// The changes in `--modcaps` syntax, or "none".
        public var description: String {
            let items = added.memberNames.map { "+" + $0 } + removed.memberNames.map { "-" + $0 }
            return items.isEmpty ? "none" : items.joined(separator: ":")
        }
    }

    /// `--socket-group`: the group that owns the created socket (mode 0660), so its members' VMMs can connect.
    public struct SocketGroup: Sendable, Hashable, CustomStringConvertible {
        /// The group as given (a name or a number).
        public let name: String
        /// Its id.
        public let id: gid_t

        /// Resolves a group name (through NSS, at start-up, before any sandbox) or a decimal gid.
        /// - Throws: `DaemonConfigurationError` when no such group exists.
        public static func resolve(_ text: String, option: String) throws(DaemonConfigurationError) -> SocketGroup {
            guard !text.isEmpty else { throw .option(option, "empty value") }
            if text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
                guard let id = gid_t(text), id != gid_t.max else { throw .option(option, "\(text) is not a gid") }
                return SocketGroup(name: text, id: id)
            }
            var group = group()
            var result: UnsafeMutablePointer<group>?
            var buffer = [CChar](repeating: 0, count: 16384)
            let r = getgrnam_r(text, &group, &buffer, buffer.count, &result)
            guard r == 0, result != nil else {
                throw .option(option, r == 0 ? "no group named \(text)" : "cannot look up group \(text): errno \(r)")
            }
            return SocketGroup(name: text, id: group.gr_gid)
        }

        public var description: String { name == String(id) ? name : "\(name) (\(id))" }
    }

    #if DEBUG
    /// Switches for tests, compiled into debug builds only (hidden `--debug-*` options); release builds have none.
    public struct DebugOptions: Sendable, Hashable {
        /// `--debug-unconfined-lookup`: LOOKUP follows symlinks and ".." is not checked (AIOFSOptions'
        /// `unconfinedLookupForTesting`), to show that the sandbox alone keeps the guest in the share.
        public var unconfinedLookup = false
        /// `--debug-forbidden-syscall`: when a front-end connects, call a system call outside the seccomp
        /// allow-list (`mount` with no arguments), to show what `--seccomp` does with it.
        public var forbiddenSystemCall = false

        public init(unconfinedLookup: Bool = false, forbiddenSystemCall: Bool = false) {
            self.unconfinedLookup = unconfinedLookup
            self.forbiddenSystemCall = forbiddenSystemCall
        }
    }
    #endif

    /// `--socket-group` applies only to a socket the daemon creates.
    static func validateSocketGroup(_ group: SocketGroup?, listen: Listen) throws(DaemonConfigurationError) {
        if group != nil, case .inheritedFD = listen {
            throw DaemonConfigurationError(
                "--socket-group applies only to --socket-path: an inherited --fd socket belongs to its creator")
        }
    }
}
