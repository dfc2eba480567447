import LinuxSystem

extension FileDescriptor {
    /// Runs `body` with the descriptor number while keeping this owner alive, so the descriptor cannot be closed
    /// (and its number reused) before `body` returns: ARC may otherwise release an owner right after the last
    /// read of `rawValue`, before the system call that uses the number.
    @inline(__always)
    func use<R>(_ body: (CInt) throws(Errno) -> R) throws(Errno) -> R {
        defer { withExtendedLifetime(self) {} }
        return try body(rawValue)
    }
}
