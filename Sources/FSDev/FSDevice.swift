import LinuxSystem
import Reactor

/// A filesystem device (SPDK's `spdk_fsdev`): shared by every reactor, with one `FSChannel` per reactor obtained
/// with `reactor.channel(for: device)` and given back with `reactor.releaseChannel(for: device)`.
///
/// The FUSE layer is generic over the device (`some FSDevice`), so that dispatch is static on the data path.
public protocol FSDevice: IODevice where Channel: FSChannel {
    /// A short name for logs (`aio:/srv/share`).
    var name: String { get }
}
