import Benchmarks
import Golden
import Testing

/// Comparisons of synthetic records: calibration, verdicts per case, op and module, exact figures, case lists and
/// machine kinds.
@Suite("baseline comparison")
struct BaselineComparisonTests {
    typealias S = SyntheticBaselines

    @Test("the same figures are within noise everywhere and nothing is a regression")
    func unchanged() throws {
        let comparison = try BaselineComparison(baseline: S.record(), current: S.record(), path: "base.json")
        #expect(comparison.cases.count == 1)
        let result = try #require(comparison.cases.first)
        #expect(result.timing.verdict == .withinNoise && result.timing.change == 0)
        #expect(result.modules.allSatisfy { $0.timing.verdict == .withinNoise })
        #expect(!comparison.hasRegression)
        let text = comparison.rendered()
        #expect(
            text.contains("b8x224 full step: 100.0 ms ±0.5% -> 100.0 ms ±0.5% (raw +0.0%), calibrated: within noise"))
        #expect(text.contains("modules: all 4 within noise"))
        #expect(
            text.hasSuffix(
                "summary: 1 case compared: 0 slower, 0 faster, 1 within noise; deterministic figures: all unchanged; "
                    + "peak RSS within its band"))
    }

    @Test("a busier machine slows case and calibration alike: within noise once calibrated")
    func calibration() throws {
        let busy = S.record([S.caseRecord(milliseconds: 120, batchNorm: 12)], gemm: 1.8, triad: 3.6)
        let comparison = try BaselineComparison(baseline: S.record(), current: busy, path: "base.json")
        let result = try #require(comparison.cases.first)
        #expect(abs(result.timing.change) < 1e-9 && result.timing.verdict == .withinNoise)
        // Without the calibration shift the same case is 20% slower.
        let calm = S.record([S.caseRecord(milliseconds: 120)])
        let slower = try #require(
            try BaselineComparison(baseline: S.record(), current: calm, path: "base.json").cases.first)
        #expect(slower.timing.verdict == .slower && abs(slower.timing.change - 0.2) < 1e-9)
    }

    @Test("a slowed batch norm names the module and the op, largest change first")
    func slowedModule() throws {
        let current = S.record([S.caseRecord(milliseconds: 110, batchNorm: 20)])
        let comparison = try BaselineComparison(baseline: S.record(), current: current, path: "base.json")
        let result = try #require(comparison.cases.first)
        #expect(result.timing.verdict == .slower)
        #expect(result.modules.first?.name == "layer3.1.bn2 forward BatchNorm2d")
        #expect(result.modules.first?.timing.verdict == .slower)
        #expect(abs((result.modules.first?.timing.change ?? 0) - 1) < 1e-9)
        #expect(result.modules.dropFirst().allSatisfy { $0.timing.verdict == .withinNoise })
        #expect(result.ops.first?.name == "forward BatchNorm2d (1 module)")
        #expect(comparison.hasRegression)
        let text = comparison.rendered()
        #expect(text.contains("slower by 10.0% (beyond noise, band ±3.0%)"))
        #expect(
            text.contains(
                "    layer3.1.bn2 forward BatchNorm2d: 10.00 -> 20.00 ms (+10.00 ms calibrated): slower by 100.0%"))
    }

    @Test("a calibration that wobbled during a run widens every band by its spread")
    func noisyCalibration() throws {
        var wobbly = S.record([S.caseRecord(milliseconds: 105)])
        wobbly.calibration.gemmMilliseconds = S.samples(1.5, spread: 0.3, count: 27)
        let result = try #require(
            try BaselineComparison(baseline: S.record(), current: wobbly, path: "base.json").cases.first)
        #expect(result.timing.band > 0.06 && result.timing.verdict == .withinNoise)
        #expect(wobbly.calibration.unitSpread > 0.04)
    }

    @Test("a spread wider than the change keeps it within noise")
    func noisyRuns() throws {
        let noisy = S.record([S.caseRecord(milliseconds: 105, spread: 0.2)])
        let result = try #require(
            try BaselineComparison(baseline: S.record(), current: noisy, path: "base.json").cases.first)
        #expect(result.timing.verdict == .withinNoise)
        #expect(result.timing.band > 0.05)
    }

    @Test("a changed allocation count is flagged exactly, apart from the timings")
    func deterministicChange() throws {
        let current = S.record([S.caseRecord(allocations: 1240)])
        let comparison = try BaselineComparison(baseline: S.record(), current: current, path: "base.json")
        let result = try #require(comparison.cases.first)
        #expect(result.timing.verdict == .withinNoise)
        #expect(
            result.exact.filter(\.changed).map(\.description) == [
                "float allocations per run: 1234 -> 1240 (+6) CHANGED"
            ])
        #expect(comparison.hasRegression)
        #expect(comparison.summary.contains("deterministic figures: 1 CHANGED"))
    }

    @Test("cases on one side only are listed by name; the rest are still compared")
    func caseLists() throws {
        let baseline = S.record([S.caseRecord("b8x224 full step"), S.caseRecord("b8x224 inference")])
        let current = S.record([S.caseRecord("b8x224 full step"), S.caseRecord("b32x64 full step")])
        let comparison = try BaselineComparison(baseline: baseline, current: current, path: "old.json")
        #expect(comparison.casesOnlyInBaseline == ["b8x224 inference"])
        #expect(comparison.casesOnlyInCurrent == ["b32x64 full step"])
        #expect(comparison.cases.map(\.name) == ["b8x224 full step"])
        let text = comparison.rendered()
        #expect(text.contains("cases in old.json but not measured now: b8x224 inference"))
        #expect(text.contains("cases measured now but not in old.json: b32x64 full step"))
        #expect(comparison.peakResident == nil && text.contains("peak RSS (whole run): not compared"))
    }

    @Test("module entries on one side only are counted, not compared")
    func moduleLists() throws {
        let extra = S.caseRecord(modules: [S.module("layer3.1.conv2", .forward, "Conv2d", 20)])
        let comparison = try BaselineComparison(baseline: S.record(), current: S.record([extra]), path: "b.json")
        let result = try #require(comparison.cases.first)
        #expect(result.modules.map(\.name) == ["layer3.1.conv2 forward Conv2d"])
        #expect(result.modulesOnlyInBaseline.count == 3 && result.modulesOnlyInCurrent.isEmpty)
    }

    @Test("another machine kind is refused with the file and every differing field, unless allowed")
    func otherMachine() throws {
        var haswell = S.machine
        haswell.blasCore = "Haswell"
        haswell.cores = 4
        let other = S.record(machine: haswell)
        let error = #expect(throws: BaselineError.self) {
            try BaselineComparison(baseline: other, current: S.record(), path: "Fixtures/benchmarks/x.json")
        }
        #expect(
            error?.description
                == "the baseline Fixtures/benchmarks/x.json was recorded on another machine kind, so its timings do "
                + "not compare (cores: 2 here, 4 in the baseline; BLAS core: Cooperlake here, Haswell in the "
                + "baseline); record one for this machine with --save-baseline, or pass --allow-other-machine to "
                + "compare anyway")
        #expect(throws: BaselineError.self) {
            try BaselineComparison.checkMachine(other, path: "x.json", machine: S.machine)
        }
        try BaselineComparison.checkMachine(S.record(), path: "x.json", machine: S.machine)
        let allowed = try BaselineComparison(
            baseline: other, current: S.record(), path: "x.json", allowOtherMachine: true)
        #expect(allowed.rendered().contains("warning: another machine kind: BLAS core: Cooperlake here, Haswell"))
        // OPENBLAS_CORETYPE naming the core OpenBLAS would pick anyway is the same machine kind.
        var forced = S.machine
        forced.openblasCoretype = "Cooperlake"
        #expect(forced.differences(from: S.machine).isEmpty)
    }

    @Test("on oneDNN the OpenBLAS core is not part of the machine kind; on the reference backend it is")
    func blasCoreFollowsTheBackend() {
        var oneDNN = S.machine
        oneDNN.gemmBackend = "onednn"
        var oneDNNHaswell = oneDNN
        oneDNNHaswell.blasCore = "Haswell"
        #expect(oneDNN.differences(from: oneDNNHaswell).isEmpty)
        var reference = S.machine
        reference.gemmBackend = "reference"
        var referenceHaswell = reference
        referenceHaswell.blasCore = "Haswell"
        #expect(reference.differences(from: referenceHaswell) == ["BLAS core: Cooperlake here, Haswell there"])
        #expect(
            oneDNN.differences(from: referenceHaswell)
                == ["GEMM backend: onednn here, reference there", "BLAS core: Cooperlake here, Haswell there"])
        // A file that predates the field: its BLAS core still counts.
        var unrecorded = S.machine
        unrecorded.blasCore = "Haswell"
        #expect(oneDNN.differences(from: unrecorded) == ["BLAS core: Cooperlake here, Haswell there"])
    }

    @Test("peak RSS beyond its band and different repeats are reported")
    func residentAndSettings() throws {
        let current = S.record(peakResident: 700, repeats: 3)
        let comparison = try BaselineComparison(baseline: S.record(), current: current, path: "b.json")
        #expect(comparison.peakResident?.changed == true && comparison.hasRegression)
        #expect(comparison.settingsNotes == ["repeats: 9 in the baseline, 3 now"])
    }
}
