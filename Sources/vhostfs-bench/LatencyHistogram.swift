/// A log-linear latency histogram in nanoseconds: exact below 128 ns, then 64 buckets per power of two (about 1.6%
/// resolution). Recording is allocation-free; histograms from several threads merge.
struct LatencyHistogram: Sendable {
    private static let bucketCount = 128 + 57 * 64

    private var counts = [UInt64](repeating: 0, count: LatencyHistogram.bucketCount)
    /// Values recorded.
    private(set) var count: UInt64 = 0
    /// Sum of the values.
    private(set) var sum: UInt64 = 0
    /// Largest value.
    private(set) var maximum: UInt64 = 0

    private static func index(_ value: UInt64) -> Int {
        if value < 128 { return Int(value) }
        let exponent = 63 - value.leadingZeroBitCount
        let mantissa = Int((value >> UInt64(exponent - 6)) & 63)
        return 128 + (exponent - 7) * 64 + mantissa
    }

    private static func representative(_ index: Int) -> UInt64 {
        if index < 128 { return UInt64(index) }
        let exponent = (index - 128) / 64 + 7
        let mantissa = UInt64((index - 128) % 64)
        let low = (64 + mantissa) << UInt64(exponent - 6)
        let width = UInt64(1) << UInt64(exponent - 6)
        return low + width / 2
    }

    /// Records one latency.
    mutating func record(_ nanoseconds: UInt64) {
        counts[Self.index(nanoseconds)] &+= 1
        count &+= 1
        sum &+= nanoseconds
        if nanoseconds > maximum { maximum = nanoseconds }
    }

    /// Adds `other`'s values.
    mutating func merge(_ other: LatencyHistogram) {
        for i in counts.indices { counts[i] &+= other.counts[i] }
        count &+= other.count
        sum &+= other.sum
        maximum = max(maximum, other.maximum)
    }

    /// The value below which `fraction` (0...1) of the values lie, in nanoseconds (0 when empty).
    func percentile(_ fraction: Double) -> UInt64 {
        guard count > 0 else { return 0 }
        let rank = max(UInt64((Double(count) * fraction).rounded(.up)), 1)
        var seen: UInt64 = 0
        for (i, c) in counts.enumerated() where c > 0 {
            seen += c
            if seen >= rank { return min(Self.representative(i), maximum) }
        }
        return maximum
    }

    /// Mean in nanoseconds (0 when empty).
    var mean: Double { count == 0 ? 0 : Double(sum) / Double(count) }
}
