/// One direction of an id translation: sorted, non-overlapping source ranges, each with what its ids become.
/// Lookups are a binary search and allocate nothing.
struct IDRangeTable: Sendable, Hashable {
    /// What the ids of a range become.
    enum Target: Sendable, Hashable {
        /// `base + (id - start)`.
        case offset(base: UInt32)
        /// One id for the whole range.
        case single(UInt32)
        /// Refused with EPERM (forbid-guest).
        case refused
    }

    /// A source range `start..<end` (`end` at most UInt32.max, so -1 is never in a range).
    struct Range: Sendable, Hashable {
        var start: UInt32
        var end: UInt32
        var target: Target
        /// Where the rule came from, for messages.
        var origin: String
    }

    /// The ranges, sorted by `start`.
    private(set) var ranges: [Range] = []

    var isEmpty: Bool { ranges.isEmpty }

    /// Adds a range; throws if it overlaps one already there.
    mutating func insert(_ range: Range, direction: String) throws(IDMapError) {
        if let other = ranges.first(where: { $0.start < range.end && range.start < $0.end }) {
            throw IDMapError(
                "\(range.origin): \(direction) range [\(range.start), \(range.end)) overlaps "
                    + "[\(other.start), \(other.end)) of \(other.origin)")
        }
        let index = ranges.firstIndex { $0.start > range.start } ?? ranges.endIndex
        ranges.insert(range, at: index)
    }

    /// What `id` becomes: nil when no range holds it.
    @inline(__always)
    func lookup(_ id: UInt32) -> Target? {
        var low = 0
        var high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            let range = ranges[middle]
            if id < range.start {
                high = middle
            } else if id >= range.end {
                low = middle + 1
            } else {
                switch range.target {
                // In range by construction: base + (id - start) <= base + count - 1, checked at insertion.
                case .offset(let base): return .single(base &+ (id &- range.start))
                case .single, .refused: return range.target
                }
            }
        }
        return nil
    }
}
