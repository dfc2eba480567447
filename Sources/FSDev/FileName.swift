import Glibc
import LinuxSystem

/// A name (path component, symlink target or xattr name) as the caller received it: bytes that are neither
/// validated nor owned.
///
/// The FUSE layer passes a view of guest memory (`untrustedBytes`), which stays valid until the operation
/// completes; tests and the control plane may pass a `String`. A device never uses the bytes in place: the
/// `withValidated...` helpers copy them exactly once into a NUL-terminated stack buffer, validate the copy and use
/// only the copy, so a guest rewriting its buffer concurrently cannot change a name after it was checked.
public struct FileName: ExpressibleByStringLiteral, CustomStringConvertible {
    @usableFromInline
    enum Storage {
        case bytes(UnsafeRawBufferPointer)
        case string(String)
    }

    @usableFromInline let storage: Storage

    /// A view of untrusted bytes (no terminating NUL needed; a NUL inside is rejected by validation).
    @inlinable
    public init(untrustedBytes: UnsafeRawBufferPointer) { storage = .bytes(untrustedBytes) }

    /// An owned name (control plane, tests).
    public init(_ string: String) { storage = .string(string) }

    public init(stringLiteral value: String) { storage = .string(value) }

    public var description: String {
        switch storage {
        case .bytes(let b): String(decoding: b, as: UTF8.self)
        case .string(let s): s
        }
    }

    /// Longest name component (NAME_MAX).
    public static let maximumComponentLength = 255
    /// Longest symlink target (PATH_MAX - 1).
    public static let maximumLinkTargetLength = 4095
    /// Longest extended attribute name (XATTR_NAME_MAX).
    public static let maximumAttributeNameLength = 255

    /// How a validated lookup name relates to the directory.
    public enum DotKind: Sendable {
        /// An ordinary name.
        case none
        /// ".": the directory itself.
        case dot
        /// "..": the parent directory.
        case dotDot
    }

    /// Copies the bytes once into `buffer` (capacity > maximum) and NUL-terminates them. Returns the length.
    @usableFromInline
    func copy(into buffer: UnsafeMutableBufferPointer<CChar>, maximum: Int) throws(Errno) -> Int {
        func copyRaw(_ raw: UnsafeRawBufferPointer) throws(Errno) -> Int {
            guard raw.count <= maximum else { throw .nameTooLong }
            guard let dst = buffer.baseAddress else { throw .invalidArgument }
            if let src = raw.baseAddress, raw.count > 0 {
                // SAFETY: `dst` has room for `maximum + 1` bytes and `raw.count <= maximum`.
                UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: raw.count)
            }
            dst[raw.count] = 0
            return raw.count
        }
        switch storage {
        case .bytes(let b): return try copyRaw(b)
        case .string(let s):
            var s = s
            // withUTF8 rethrows untyped errors: carry the typed result out instead.
            let result = s.withUTF8 { u in
                Result { () throws(Errno) -> Int in try copyRaw(UnsafeRawBufferPointer(u)) }
            }
            return try result.get()
        }
    }

    /// Validates the copy as one path component: 1...255 bytes, no NUL, no '/'. Returns its dot kind.
    @usableFromInline
    static func classifyComponent(_ p: UnsafePointer<CChar>, length: Int) throws(Errno) -> DotKind {
        guard length > 0 else { throw .invalidArgument }
        let raw = UnsafeRawPointer(p)
        if memchr(raw, 0, length) != nil || memchr(raw, Int32(UInt8(ascii: "/")), length) != nil {
            throw .invalidArgument
        }
        if p[0] == 0x2e {
            if length == 1 { return .dot }
            if length == 2 && p[1] == 0x2e { return .dotDot }
        }
        return .none
    }

    /// Runs `body` with a validated copy of a name component that is not "." or ".." (creation, unlink, rename,
    /// link). Throws EINVAL for an empty name, a '/', a NUL, "." or "..", ENAMETOOLONG beyond 255 bytes.
    @inlinable
    public func withValidatedComponent<R>(_ body: (UnsafePointer<CChar>) throws(Errno) -> R) throws(Errno) -> R {
        try withUnsafeTemporaryAllocation(of: CChar.self, capacity: Self.maximumComponentLength + 1) {
            (buffer: UnsafeMutableBufferPointer<CChar>) throws(Errno) -> R in
            let n = try copy(into: buffer, maximum: Self.maximumComponentLength)
            // SAFETY: the buffer is a non-empty stack allocation that lives for this closure.
            guard let p = UnsafePointer(buffer.baseAddress) else { throw .invalidArgument }
            guard try Self.classifyComponent(p, length: n) == .none else { throw .invalidArgument }
            return try body(p)
        }
    }

    /// Runs `body` with a validated copy of a lookup name, which may also be "." or ".." (the device clamps ".."
    /// at the root and confines it elsewhere). An empty name names nothing: ENOENT, as path resolution of "" gives
    /// on a local file system (and as virtiofsd answers).
    @inlinable
    public func withValidatedLookupName<R>(
        _ body: (UnsafePointer<CChar>, DotKind) throws(Errno) -> R
    ) throws(Errno) -> R {
        try withUnsafeTemporaryAllocation(of: CChar.self, capacity: Self.maximumComponentLength + 1) {
            (buffer: UnsafeMutableBufferPointer<CChar>) throws(Errno) -> R in
            let n = try copy(into: buffer, maximum: Self.maximumComponentLength)
            guard n > 0 else { throw .noSuchFileOrDirectory }
            guard let p = UnsafePointer(buffer.baseAddress) else { throw .invalidArgument }
            return try body(p, try Self.classifyComponent(p, length: n))
        }
    }

    /// Runs `body` with a validated copy of a symlink target: 1...4095 bytes without NUL. The target is stored,
    /// never resolved by the device, so '/' and ".." are allowed.
    public func withValidatedLinkTarget<R>(_ body: (UnsafePointer<CChar>) throws(Errno) -> R) throws(Errno) -> R {
        try withUnsafeTemporaryAllocation(of: CChar.self, capacity: Self.maximumLinkTargetLength + 1) {
            (buffer: UnsafeMutableBufferPointer<CChar>) throws(Errno) -> R in
            let n = try copy(into: buffer, maximum: Self.maximumLinkTargetLength)
            guard let p = UnsafePointer(buffer.baseAddress) else { throw .invalidArgument }
            guard n > 0, memchr(p, 0, n) == nil else { throw .invalidArgument }
            return try body(p)
        }
    }

    /// Runs `body` with a validated copy of an extended attribute name: 1...255 bytes without NUL. Throws ERANGE
    /// beyond 255 bytes, as setxattr(2) does.
    public func withValidatedAttributeName<R>(
        _ body: (UnsafePointer<CChar>) throws(Errno) -> R
    ) throws(Errno) -> R {
        try withUnsafeTemporaryAllocation(of: CChar.self, capacity: Self.maximumAttributeNameLength + 1) {
            (buffer: UnsafeMutableBufferPointer<CChar>) throws(Errno) -> R in
            let n: Int
            do throws(Errno) { n = try copy(into: buffer, maximum: Self.maximumAttributeNameLength) } catch {
                throw error == .nameTooLong ? .outOfRange : error
            }
            guard let p = UnsafePointer(buffer.baseAddress) else { throw .invalidArgument }
            guard n > 0, memchr(p, 0, n) == nil else { throw .invalidArgument }
            return try body(p)
        }
    }
}
