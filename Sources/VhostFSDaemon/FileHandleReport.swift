import FSDevAIO
import LinuxSystem
import Logging

/// Creates the passthrough device and says in the log how nodes will be held: by file handle with a bounded
/// descriptor cache, or by O_PATH descriptor, and why.
enum FileHandleReport {
    /// The device for `configuration`, after RLIMIT_NOFILE was set to `descriptorLimit`.
    /// - Throws: `DaemonStartError` when `--inode-file-handles=mandatory` cannot be honoured; the device's errno
    ///   otherwise.
    static func makeDevice(_ configuration: DaemonConfiguration, descriptorLimit: ResourceLimit?,
                           logger: Logger) throws -> AIOFSDevice {
        var options = configuration.fsdevOptions
        if options.descriptorCacheSize == nil {
            options.descriptorCacheSize = AIOFSDevice.defaultDescriptorCacheSize(limit: descriptorLimit?.soft)
        }
        let created = Result { () throws(Errno) in
            try AIOFSDevice(rootPath: configuration.sharedDirectory, options: options)
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
        case .off:
            let message = "--inode-file-handles=never: every node the guest looks up holds an O_PATH descriptor, "
                + "so the guest can know at most about \(soft) files at a time"
            logger.info("\(message)")
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
