/// One translated, non-empty buffer of a validated descriptor chain: a host pointer into guest RAM and a length.
///
/// Same layout as `struct iovec` (pointer, then length). Whoever dereferences `base` keeps the memory map alive
/// (`DescriptorChainStorage` does).
@frozen
public struct ChainSegment {
    /// Host address of the first byte.
    public var base: UnsafeMutableRawPointer
    /// Length in bytes (> 0, <= UInt32.max).
    public var length: Int

    @inlinable
    public init(base: UnsafeMutableRawPointer, length: Int) {
        self.base = base
        self.length = length
    }
}
