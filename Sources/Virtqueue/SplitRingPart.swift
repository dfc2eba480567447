/// The three areas of a split virtqueue (virtio 1.2 §2.7), named in configuration errors.
public enum SplitRingPart: Hashable, Sendable, CustomStringConvertible {
    /// The descriptor table (virtio 1.2 §2.7.5), 16 * size bytes, 16-aligned.
    case descriptorTable
    /// The available ring (virtio 1.2 §2.7.6), 6 + 2 * size bytes, 2-aligned.
    case availRing
    /// The used ring (virtio 1.2 §2.7.8), 6 + 8 * size bytes, 4-aligned.
    case usedRing

    public var description: String {
        switch self {
        case .descriptorTable: "descriptor table"
        case .availRing: "available ring"
        case .usedRing: "used ring"
        }
    }
}
