import LinuxSystem

/// A fixed-capacity typed buffer allocated on a NUMA node (libnuma; plain anonymous memory when NUMA is absent),
/// for a reactor's request contexts. Never grows, so element addresses are stable (the kernel may hold them, as
/// libaio does iocbs).
public final class NodeLocalBuffer<Element> {
    /// First element. Valid for `count` elements while the buffer is alive.
    public let base: UnsafeMutablePointer<Element>
    /// Number of elements.
    public let count: Int
    private let byteCount: Int

    /// Allocates `count` elements on `node` and initializes element i with `initialValue(i)`.
    /// - Throws: EINVAL for a non-positive or overflowing size, ENOMEM when the allocation fails.
    public init(count: Int, node: Int, initialValue: (Int) -> Element) throws(Errno) {
        let (bytes, overflow) = MemoryLayout<Element>.stride.multipliedReportingOverflow(by: count)
        guard count > 0, !overflow, bytes > 0 else { throw .invalidArgument }
        guard let raw = NUMA.allocate(size: bytes, onNode: node) else { throw .noMemory }
        // SAFETY: NUMA.allocate returns page-aligned memory of `bytes` bytes, enough for `count` elements of any
        // alignment up to a page; it is bound once here and deinitialized before it is freed.
        base = raw.bindMemory(to: Element.self, capacity: count)
        for i in 0..<count { (base + i).initialize(to: initialValue(i)) }
        self.count = count
        byteCount = bytes
    }

    deinit {
        base.deinitialize(count: count)
        NUMA.free(UnsafeMutableRawPointer(base), size: byteCount)
    }

    /// Element `i` (bounds-checked).
    public subscript(i: Int) -> Element {
        get {
            precondition(i >= 0 && i < count, "NodeLocalBuffer index \(i) out of 0..<\(count)")
            return base[i]
        }
        set {
            precondition(i >= 0 && i < count, "NodeLocalBuffer index \(i) out of 0..<\(count)")
            base[i] = newValue
        }
    }
}

extension Reactor {
    /// Allocates request contexts on this reactor's NUMA node.
    public func allocateNodeLocal<Element>(
        count: Int, initialValue: (Int) -> Element
    ) throws(Errno) -> NodeLocalBuffer<Element> {
        try NodeLocalBuffer(count: count, node: numaNode, initialValue: initialValue)
    }
}
