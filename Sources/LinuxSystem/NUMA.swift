import CLinux
import CNUMA
import Glibc

/// NUMA placement through libnuma, degrading to plain page-aligned allocation where NUMA is absent.
public enum NUMA {
    /// Whether libnuma reports a usable NUMA system. The corresponding C function is `numa_available`.
    public static let isAvailable: Bool = numa_available() >= 0

    /// The node of `cpu`, or 0 without NUMA. The corresponding C function is `numa_node_of_cpu`.
    public static func node(ofCPU cpu: Int) -> Int {
        guard isAvailable, let c = CInt(exactly: cpu) else { return 0 }
        let n = numa_node_of_cpu(c)
        return n < 0 ? 0 : Int(n)
    }

    /// Number of configured nodes (1 without NUMA). The corresponding C function is `numa_num_configured_nodes`.
    public static var nodeCount: Int { isAvailable ? max(1, Int(numa_num_configured_nodes())) : 1 }

    /// Allocates `size` bytes of zeroed memory on `node` (or anywhere without NUMA). Free with `free(_:size:)`.
    /// The corresponding C function is `numa_alloc_onnode` (or `mmap` when NUMA is absent).
    public static func allocate(size: Int, onNode node: Int) -> UnsafeMutableRawPointer? {
        guard size > 0 else { return nil }
        if isAvailable, let n = CInt(exactly: node) {
            return numa_alloc_onnode(size, n)
        }
        let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        return p == MAP_FAILED ? nil : p
    }

    /// Frees memory from `allocate(size:onNode:)`. The corresponding C function is `numa_free`.
    public static func free(_ pointer: UnsafeMutableRawPointer, size: Int) {
        if isAvailable { numa_free(pointer, size) } else { munmap(pointer, size) }
    }
}
