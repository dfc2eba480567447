import LinuxSystem

/// A device with one I/O channel per reactor that uses it (SPDK's `spdk_io_device`). The channel holds the
/// reactor-local state of the device (an AIO context, request slots, a poller) and is used only on its reactor.
public protocol IODevice: AnyObject, Sendable {
    /// The per-reactor state.
    associatedtype Channel: AnyObject

    /// Creates the channel of `reactor`. Called on `reactor` the first time a channel is requested there.
    func makeChannel(on reactor: Reactor) throws(Errno) -> Channel

    /// Destroys a channel: finish or cancel in-flight work, unregister pollers. Called on `reactor` when the last
    /// reference is released, or when the reactor stops.
    func destroyChannel(_ channel: Channel, on reactor: Reactor)
}

/// A reactor's record of one device's channel.
final class ChannelSlot {
    let device: AnyObject
    let channel: AnyObject
    var references: Int
    let destroy: () -> Void

    init(device: AnyObject, channel: AnyObject, destroy: @escaping () -> Void) {
        self.device = device
        self.channel = channel
        self.references = 1
        self.destroy = destroy
    }
}
