import FSDevAIO
import LinuxSystem
import Logging

/// Creates the passthrough device and says in the log how nodes will be held: by file handle with a bounded
/// descriptor cache, or by O_PATH descriptor, and why.
enum FileHandleReport {
    /// The device for `configuration`, once the daemon is confined (`confinement`: the share as it names it, and
    /// its /proc/self/fd), after RLIMIT_NOFILE was set to `descriptorLimit`.
    ///
    /// `privileges` decide whether handles are tried at all: without CAP_DAC_READ_SEARCH outside any user
    /// namespace open_by_handle_at is refused, so `prefer` serves with descriptors and `mandatory` stops the start.
    /// - Throws: `DaemonStartError` when `--inode-file-handles=mandatory` cannot be honoured; the device's errno
    ///   otherwise.
    static func makeDevice(
        _ configuration: DaemonConfiguration, options fsdevOptions: AIOFSOptions,
        confinement: DaemonSandbox.Confinement, privileges: DaemonPrivileges, descriptorLimit: ResourceLimit?,
        logger: Logger
    ) throws -> AIOFSDevice {
        var options = fsdevOptions
        if options.descriptorCacheSize == nil {
            options.descriptorCacheSize = AIOFSDevice.defaultDescriptorCacheSize(limit: descriptorLimit?.soft)
        }
        // Not tried where they cannot be opened (no CAP_DAC_READ_SEARCH, or in a user namespace of its own).
        let withheld = privileges.opensFileHandles ? nil : withheldReason(privileges)
        if let withheld, configuration.inodeFileHandles != .never {
            if configuration.inodeFileHandles == .mandatory {
                throw DaemonStartError(message: "--inode-file-handles=mandatory: \(withheld.mandatory)")
            }
            options.fileHandles = .never
        }
        let created = Result { () throws(Errno) in
            try AIOFSDevice(rootPath: confinement.rootPath, options: options, procSelfFD: confinement.procSelfFD)
        }
        if case .failure(let error) = created, configuration.inodeFileHandles == .mandatory {
            throw DaemonStartError(message: mandatoryFailure(error, directory: configuration.sharedDirectory))
        }
        let device = try created.get()
        let soft = descriptorLimit.map { $0.soft == ResourceLimit.infinity ? "unlimited" : String($0.soft) } ?? "?"
        switch device.fileHandleSupport {
        case .on(let kind):
            let message = "nodes are identified by file handles (\(kind == .unique ? "unique" : "classic") mount "
                + "ids); at most "
                + "\(device.descriptorCacheSize) O_PATH descriptors of them stay open (--fd-cache), of a limit of "
                + "\(soft)"
            logger.info("\(message)")
            if let limit = descriptorLimit?.soft, UInt64(device.descriptorCacheSize) >= limit {
                let message = "--fd-cache=\(device.descriptorCacheSize) is not below the descriptor limit "
                    + "\(limit): open files will make the cache give descriptors back under pressure"
                logger.warning("\(message)")
            }
        case .off where configuration.inodeFileHandles == .never:
            let message = "--inode-file-handles=never: every node the guest looks up holds an O_PATH descriptor, "
                + "so the guest can know at most about \(soft) files at a time"
            logger.info("\(message)")
        case .off:
            let message = "file handles unavailable: \(withheld?.unavailable ?? "not tried"); every node the guest "
                + "looks up holds an O_PATH descriptor, so the guest can know at most about \(soft) files at a time"
            logger.warning("\(message)")
        case .unavailable(let error):
            let why =
                switch error {
                case .notPermitted: "CAP_DAC_READ_SEARCH is missing (open_by_handle_at needs it)"
                case .notSupported, .overflow:
                    "the filesystem of \(configuration.sharedDirectory) exports no file handles (\(error))"
                default: "they cannot be opened on \(configuration.sharedDirectory) (\(error))"
                }
            let message = "file handles unavailable: \(why); every node the guest looks up holds an O_PATH "
                + "descriptor, so the guest can know at most about \(soft) files at a time"
            logger.warning("\(message)")
        }
        return device
    }

    /// Why file handles are not even tried with `privileges` (which cannot open them): the reason for the
    /// `prefer` warning and for the `mandatory` failure.
    static func withheldReason(_ privileges: DaemonPrivileges) -> (unavailable: String, mandatory: String) {
        guard privileges.userNamespace != nil else {
            return ("CAP_DAC_READ_SEARCH is missing (open_by_handle_at needs it)",
                    "opening file handles needs CAP_DAC_READ_SEARCH, which this process lacks")
        }
        return ("the daemon runs in a user namespace of its own, and open_by_handle_at needs CAP_DAC_READ_SEARCH "
                    + "outside any user namespace",
                "file handles cannot be opened in the user namespace of an ordinary user's sandbox "
                    + "(open_by_handle_at needs CAP_DAC_READ_SEARCH outside any user namespace); start as root, "
                    + "or use --inode-file-handles=prefer")
    }

    /// The message when `mandatory` cannot be honoured.
    static func mandatoryFailure(_ error: Errno, directory: String) -> String {
        switch error {
        case .notPermitted:
            "--inode-file-handles=mandatory: opening file handles needs CAP_DAC_READ_SEARCH, which this process lacks"
        case .notSupported, .overflow:
            "--inode-file-handles=mandatory: the filesystem of \(directory) exports no file handles (\(error))"
        default:
            "--inode-file-handles=mandatory: cannot use file handles on \(directory): \(error)"
        }
    }
}

/// A failure at start with a message for the operator.
struct DaemonStartError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
