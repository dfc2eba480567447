import Glibc
import LinuxSystem

/// A descriptor a sleeping reactor wakes on (a queue kick eventfd, an aio completion eventfd). Keep it to
/// unregister. The reactor drains the descriptor (reads 8 bytes) when it fires, as for an eventfd.
public final class WakeRegistration {
    let token: UInt64
    /// The registered descriptor, kept open until unregistered.
    public let descriptor: FileDescriptor
    /// Number of times the descriptor woke the reactor.
    @exclusivity(unchecked) public internal(set) var wakeCount: UInt64 = 0

    init(token: UInt64, descriptor: FileDescriptor) {
        self.token = token
        self.descriptor = descriptor
    }

    /// Resets the counter so that a level-triggered epoll does not report it again.
    func drain() {
        var value: UInt64 = 0
        _ = Glibc.read(descriptor.rawValue, &value, 8)
    }
}
