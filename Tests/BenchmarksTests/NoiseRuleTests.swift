import Benchmarks
import Testing

/// The noise band and the verdicts on exact numbers: a floor, widened by both runs' spreads.
@Suite("noise band and verdicts")
struct NoiseRuleTests {
    @Test("median and quartiles interpolate between order statistics as numpy does")
    func summary() {
        let summary = SampleSummary([5, 1, 4, 2, 3])
        #expect(summary.median == 3 && summary.lowerQuartile == 2 && summary.upperQuartile == 4)
        #expect(abs(summary.relativeHalfSpread - 1.0 / 3) < 1e-12)
        let even = SampleSummary([1, 2, 3, 4])
        #expect(even.median == 2.5 && even.lowerQuartile == 1.75 && even.upperQuartile == 3.25)
        #expect(SampleSummary([7]).relativeHalfSpread == 0)
        #expect(SampleSummary([]).count == 0 && SampleSummary([]).median.isNaN)
    }

    @Test("the band is the floor for tight runs and the sum of both half spreads for loose ones")
    func band() {
        let rule = NoiseRule(floor: 0.03, spreadFactor: 1)
        let tight = SampleSummary([99, 100, 101])  // half IQR 0.5%
        #expect(rule.band(baseline: tight, current: tight) == 0.03)
        let loose = SampleSummary([90, 100, 110])  // half IQR 5%
        #expect(abs(rule.band(baseline: loose, current: tight) - 0.055) < 1e-12)
        #expect(abs(NoiseRule(floor: 0, spreadFactor: 2).band(baseline: loose, current: loose) - 0.2) < 1e-12)
        #expect(abs(rule.band(baseline: loose, current: tight, calibration: 0.02) - 0.075) < 1e-12)
    }

    @Test("slower, faster and within noise, with the wording criterion and asv use")
    func verdicts() {
        let slower = TimingChange(baseline: 100, current: 112.3, band: 0.03)
        #expect(slower.verdict == .slower)
        #expect(slower.description == "slower by 12.3% (beyond noise, band ±3.0%)")
        let faster = TimingChange(baseline: 100, current: 95, band: 0.03)
        #expect(faster.verdict == .faster && faster.description == "faster by 5.0% (beyond noise, band ±3.0%)")
        let within = TimingChange(baseline: 100, current: 102, band: 0.03)
        #expect(within.verdict == .withinNoise && within.description == "within noise (+2.0%, band ±3.0%)")
        #expect(
            TimingChange(baseline: 100, current: 97.5, band: 0.03).description == "within noise (-2.5%, band ±3.0%)")
        // A change exactly at the band edge is not beyond it.
        #expect(TimingChange(baseline: 1, current: 1.5, band: 0.5).verdict == .withinNoise)
    }

    @Test("deterministic figures are flagged on any change, peak RSS only beyond its band")
    func exactAndBanded() {
        #expect(
            ExactChange(name: "allocations per step", baseline: 1234, current: 1240).description
                == "allocations per step: 1234 -> 1240 (+6) CHANGED")
        #expect(ExactChange(name: "FLOPs", baseline: 10, current: 9).description == "FLOPs: 10 -> 9 (-1) CHANGED")
        let same = ExactChange(name: "FLOPs", baseline: 10, current: 10)
        #expect(!same.changed && same.description == "FLOPs: 10 (unchanged)")
        let rss = BandedChange(name: "peak RSS", baseline: 600, current: 618, band: 0.1, unit: "MB")
        #expect(!rss.changed && rss.description == "peak RSS: 600 -> 618 MB (+3.0%, within the ±10% band)")
        let grown = BandedChange(name: "peak RSS", baseline: 600, current: 700, band: 0.1, unit: "MB")
        #expect(grown.changed)
        #expect(grown.description == "peak RSS: 600 -> 700 MB (+16.7%) CHANGED (beyond the ±10% band)")
    }
}
