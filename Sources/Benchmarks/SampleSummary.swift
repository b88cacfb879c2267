/// The median and interquartile range of repeated measurements, as asv records timings: robust to the occasional
/// run that a neighbour slowed down, which a mean and standard deviation are not.
public struct SampleSummary: Sendable, Equatable {
    /// How many samples.
    public let count: Int
    public let median: Double
    /// The 25th and 75th percentiles (linear interpolation between order statistics, numpy's default).
    public let lowerQuartile: Double
    public let upperQuartile: Double

    /// Summarises `samples`; an empty list has count 0 and NaN figures.
    public init(_ samples: [Double]) {
        let sorted = samples.sorted()
        count = sorted.count
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return .nan }
            let position = p * Double(sorted.count - 1)
            let low = Int(position.rounded(.down))
            let high = min(low + 1, sorted.count - 1)
            return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
        }
        median = percentile(0.5)
        lowerQuartile = percentile(0.25)
        upperQuartile = percentile(0.75)
    }

    /// `upperQuartile - lowerQuartile`.
    public var interquartileRange: Double { upperQuartile - lowerQuartile }

    /// Half the interquartile range relative to the median: the spread as a fraction (0.02 is +-2%); 0 when the
    /// median is 0.
    public var relativeHalfSpread: Double { median > 0 ? interquartileRange / 2 / median : 0 }
}
