import Glibc
import LinuxSystem

/// Waits until `condition` holds, checking every millisecond, for at most `timeoutMilliseconds`. Returns whether it
/// held. For tests of things a server thread or a reactor does asynchronously (a disconnect, a release).
public func eventually(timeoutMilliseconds: Int = 5_000, _ condition: () -> Bool) -> Bool {
    let deadline = SystemClock.monotonicNanoseconds() &+ UInt64(max(timeoutMilliseconds, 0)) &* 1_000_000
    while SystemClock.monotonicNanoseconds() < deadline {
        if condition() { return true }
        usleep(1000)
    }
    return condition()
}
