/// When a timing change counts: the rule behind "slower by X% (beyond noise)", "faster by X% (beyond noise)" and
/// "within noise". It follows criterion.rs (a change inside a noise threshold is "Change within noise threshold",
/// beyond it "Performance has regressed" / "improved") and asv (`asv compare` records each timing as median and
/// interquartile range and flags only changes that stand out of both runs' spread).
///
/// The band is `max(floor, spreadFactor * (s_baseline + s_current) + c_baseline + c_current)`, where `s` is each
/// run's half interquartile range relative to its median (``SampleSummary/relativeHalfSpread``) and `c` the same
/// for its calibration unit (``BaselineRecord/CalibrationSamples/unitSpread``, which every calibrated figure
/// inherits): with the default factor 1, a change is beyond noise when the two runs' middle halves do not overlap
/// even allowing for the calibration's own wobble, and is at least `floor` - the run-to-run drift that the spread
/// within one run does not show (criterion's `noise_threshold`).
public struct NoiseRule: Sendable, Equatable {
    /// Relative changes up to this are within noise whatever the spread.
    public var floor: Double
    /// Multiplies the two runs' relative half spreads.
    public var spreadFactor: Double

    /// Floor 3% (criterion's default noise threshold is 1%; a shared machine drifts more between runs than within
    /// one), factor 1.
    public static let standard = NoiseRule(floor: 0.03, spreadFactor: 1)

    public init(floor: Double, spreadFactor: Double) {
        self.floor = floor
        self.spreadFactor = spreadFactor
    }

    /// The relative band (0.05 is +-5%) for these two runs; `calibration` is the sum of both runs' calibration
    /// spreads.
    public func band(baseline: SampleSummary, current: SampleSummary, calibration: Double = 0) -> Double {
        max(floor, spreadFactor * (baseline.relativeHalfSpread + current.relativeHalfSpread) + calibration)
    }

    /// The verdict on `baseline` -> `current` (calibrated medians) with their spreads.
    public func compare(baseline: SampleSummary, current: SampleSummary, calibration: Double = 0) -> TimingChange {
        TimingChange(
            baseline: baseline.median, current: current.median,
            band: band(baseline: baseline, current: current, calibration: calibration))
    }
}

/// A calibrated timing compared with its baseline.
public struct TimingChange: Sendable, Equatable, CustomStringConvertible {
    /// What the change amounts to.
    public enum Verdict: String, Sendable, Equatable {
        case slower, faster, withinNoise = "within noise"
    }

    /// Calibrated medians (time over the run's calibration unit).
    public let baseline: Double
    public let current: Double
    /// Relative band, e.g. 0.03.
    public let band: Double

    public init(baseline: Double, current: Double, band: Double) {
        (self.baseline, self.current, self.band) = (baseline, current, band)
    }

    /// `current / baseline - 1` (0.1 is 10% slower).
    public var change: Double { baseline > 0 ? current / baseline - 1 : 0 }

    public var verdict: Verdict {
        if change > band { return .slower }
        if change < -band { return .faster }
        return .withinNoise
    }

    /// `slower by 12.3% (beyond noise, band +-3.0%)`, `faster by ...`, `within noise (+1.2%, band +-3.0%)`.
    public var description: String {
        let percent = { (value: Double) in String(format: "%.1f%%", value * 100) }
        switch verdict {
        case .slower: return "slower by \(percent(change)) (beyond noise, band ±\(percent(band)))"
        case .faster: return "faster by \(percent(-change)) (beyond noise, band ±\(percent(band)))"
        case .withinNoise:
            return "within noise (\(change >= 0 ? "+" : "")\(percent(change)), band ±\(percent(band)))"
        }
    }
}

/// A figure that changes only when the code does (FLOPs, allocations, bytes): any difference is flagged, exactly.
public struct ExactChange: Sendable, Equatable, CustomStringConvertible {
    public let name: String
    public let baseline: Int
    public let current: Int

    public init(name: String, baseline: Int, current: Int) {
        (self.name, self.baseline, self.current) = (name, baseline, current)
    }

    public var changed: Bool { baseline != current }

    /// `allocations per step: 1234 -> 1240 (+6) CHANGED` or `allocations per step: 1234 (unchanged)`.
    public var description: String {
        guard changed else { return "\(name): \(baseline) (unchanged)" }
        let delta = current - baseline
        return "\(name): \(baseline) -> \(current) (\(delta > 0 ? "+" : "")\(delta)) CHANGED"
    }
}

/// Peak resident memory: nearly deterministic, but allocator and page-cache effects move it a little, so it is
/// flagged beyond a stated band instead of exactly.
public struct BandedChange: Sendable, Equatable, CustomStringConvertible {
    public let name: String
    public let baseline: Double
    public let current: Double
    /// Relative band, e.g. 0.1.
    public let band: Double
    public let unit: String

    public init(name: String, baseline: Double, current: Double, band: Double, unit: String) {
        (self.name, self.baseline, self.current, self.band, self.unit) = (name, baseline, current, band, unit)
    }

    public var change: Double { baseline > 0 ? current / baseline - 1 : 0 }
    public var changed: Bool { abs(change) > band }

    /// `peak RSS: 633 -> 640 MB (+1.1%, within the ±10% band)` or `... CHANGED (beyond the ±10% band)`.
    public var description: String {
        let figures =
            String(format: "%.0f -> %.0f ", baseline, current) + "\(unit) (\(change >= 0 ? "+" : "")"
            + String(format: "%.1f%%", change * 100)
        let bandText = String(format: "%.0f%%", band * 100)
        return changed
            ? "\(name): \(figures)) CHANGED (beyond the ±\(bandText) band)"
            : "\(name): \(figures), within the ±\(bandText) band)"
    }
}
