import CLinux
import Glibc

/// Extended attributes by path. The passthrough fsdev passes `/proc/self/fd/N` of a node's O_PATH descriptor, which
/// works on read-only files and directories without opening them. Names are NUL-terminated and already validated;
/// a zero-sized buffer asks for the size only.
public enum ExtendedAttributes {
    /// Reads attribute `name` into `buffer`; returns its size. The corresponding C function is `getxattr`.
    @inlinable
    public static func value(
        of name: UnsafePointer<CChar>, path: UnsafePointer<CChar>, into buffer: UnsafeMutableRawBufferPointer
    ) throws(Errno) -> Int {
        try SystemCall.valueOrErrno { getxattr(path, name, buffer.baseAddress, buffer.count) }.get()
    }

    /// Sets attribute `name` (XATTR_CREATE / XATTR_REPLACE in `flags`). The corresponding C function is `setxattr`.
    @inlinable
    public static func setValue(
        _ value: UnsafeRawBufferPointer, of name: UnsafePointer<CChar>, path: UnsafePointer<CChar>, flags: CInt
    ) throws(Errno) {
        _ = try SystemCall.valueOrErrno { setxattr(path, name, value.baseAddress, value.count, flags) }.get()
    }

    /// Lists attribute names (NUL-separated) into `buffer`; returns the total size. The corresponding C function is
    /// `listxattr`.
    @inlinable
    public static func names(
        path: UnsafePointer<CChar>, into buffer: UnsafeMutableRawBufferPointer
    ) throws(Errno) -> Int {
        try SystemCall.valueOrErrno {
            listxattr(path, buffer.baseAddress?.assumingMemoryBound(to: CChar.self), buffer.count)
        }.get()
    }

    /// Removes attribute `name`. The corresponding C function is `removexattr`.
    @inlinable
    public static func remove(_ name: UnsafePointer<CChar>, path: UnsafePointer<CChar>) throws(Errno) {
        _ = try SystemCall.valueOrErrno { removexattr(path, name) }.get()
    }
}
