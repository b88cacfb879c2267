import Foundation

extension BaselineComparison {
    /// The report `workbench bench model --baseline FILE` prints: provenance and calibration of both runs, then per
    /// case the calibrated verdict, the deterministic figures, and the ops and modules beyond noise (at most
    /// `topModules` of each, largest change first), then a summary line.
    public func rendered(topModules: Int = 5) -> String {
        var lines: [String] = []
        let b = baseline
        let c = current
        lines.append(
            "baseline \(path): recorded \(b.recorded) at \(b.provenance.engineCommit), load \(load(b.loadBefore)), "
                + "\(b.settings.repeats) rounds")
        lines.append(
            "this run: \(c.recorded) at \(c.provenance.engineCommit), load \(load(c.loadBefore)), "
                + "\(c.settings.repeats) rounds")
        for difference in machineDifferences { lines.append("warning: another machine kind: \(difference)") }
        let (bc, cc) = (b.calibration, c.calibration)
        let gemm = (SampleSummary(bc.gemmMilliseconds).median, SampleSummary(cc.gemmMilliseconds).median)
        let triad = (SampleSummary(bc.triadMilliseconds).median, SampleSummary(cc.triadMilliseconds).median)
        lines.append(
            "calibration: sgemm \(bc.gemmSize)^3 \(ms(gemm.0)) -> \(ms(gemm.1)) ms, triad 3 x "
                + "\((bc.triadFloats * 4) >> 20) MB \(ms(triad.0)) -> \(ms(triad.1)) ms; unit "
                + "\(ms(bc.unitMilliseconds)) -> \(ms(cc.unitMilliseconds)) ms "
                + "(\(signedPercent(cc.unitMilliseconds / bc.unitMilliseconds - 1)): this run's machine speed; "
                + "spread ±\(percent(bc.unitSpread)) -> ±\(percent(cc.unitSpread)))")
        for note in settingsNotes { lines.append("note: \(note)") }
        if !casesOnlyInBaseline.isEmpty {
            lines.append("cases in \(path) but not measured now: \(casesOnlyInBaseline.joined(separator: ", "))")
        }
        if !casesOnlyInCurrent.isEmpty {
            lines.append("cases measured now but not in \(path): \(casesOnlyInCurrent.joined(separator: ", "))")
        }
        for result in cases {
            lines.append("")
            let (before, after) = (result.baselineMilliseconds, result.currentMilliseconds)
            lines.append(
                "\(result.name): \(ms(before.median)) ms ±\(percent(before.relativeHalfSpread)) -> "
                    + "\(ms(after.median)) ms ±\(percent(after.relativeHalfSpread)) "
                    + "(raw \(signedPercent(after.median / before.median - 1))), calibrated: \(result.timing)")
            if result.exact.contains(where: \.changed) {
                for figure in result.exact { lines.append("  \(figure)") }
            } else {
                lines.append(
                    "  deterministic figures unchanged: "
                        + result.exact.map { "\($0.name) \($0.baseline)" }.joined(separator: ", "))
            }
            appendParts("ops", result.ops, limit: topModules, to: &lines)
            appendParts("modules", result.modules, limit: topModules, to: &lines)
            let oneSided = result.modulesOnlyInBaseline + result.modulesOnlyInCurrent
            if !oneSided.isEmpty {
                lines.append(
                    "  module entries only in the baseline: \(result.modulesOnlyInBaseline.count), only now: "
                        + "\(result.modulesOnlyInCurrent.count) (\(oneSided.prefix(3).joined(separator: "; ")))")
            }
        }
        lines.append("")
        lines.append(
            peakResident?.description ?? "peak RSS (whole run): not compared, the runs measured different cases")
        lines.append(summary)
        return lines.joined(separator: "\n")
    }

    /// `8 cases compared: 1 slower, 0 faster, 7 within noise; deterministic figures: 1 changed; peak RSS within
    /// its band`.
    public var summary: String {
        func count(_ verdict: TimingChange.Verdict) -> Int { cases.filter { $0.timing.verdict == verdict }.count }
        let changed = cases.reduce(0) { $0 + $1.exact.filter(\.changed).count }
        return "summary: \(cases.count) case\(cases.count == 1 ? "" : "s") compared: \(count(.slower)) slower, "
            + "\(count(.faster)) faster, \(count(.withinNoise)) within noise; deterministic figures: "
            + (changed == 0 ? "all unchanged" : "\(changed) CHANGED") + "; peak RSS "
            + (peakResident.map { $0.changed ? "CHANGED beyond its band" : "within its band" } ?? "not compared")
    }

    private func appendParts(_ label: String, _ parts: [PartResult], limit: Int, to lines: inout [String]) {
        let beyond = parts.filter { $0.timing.verdict != .withinNoise }
        guard !beyond.isEmpty else {
            lines.append("  \(label): all \(parts.count) within noise")
            return
        }
        lines.append(
            "  \(label) beyond noise (\(min(limit, beyond.count)) of \(beyond.count), of \(parts.count) compared; "
                + "largest change first):")
        for part in beyond.prefix(limit) {
            lines.append(
                "    \(part.name): \(ms(part.baselineMilliseconds)) -> \(ms(part.currentMilliseconds)) ms "
                    + "(\(part.deltaMilliseconds >= 0 ? "+" : "")\(ms(part.deltaMilliseconds)) ms calibrated): "
                    + "\(part.timing)")
        }
    }

    private func load(_ values: [Double]) -> String {
        values.isEmpty ? "unknown" : values.map { String(format: "%.2f", $0) }.joined(separator: " ")
    }
}

func ms(_ value: Double) -> String {
    String(format: abs(value) >= 100 ? "%.1f" : abs(value) >= 1 ? "%.2f" : "%.3f", value)
}

func percent(_ fraction: Double) -> String { String(format: "%.1f%%", fraction * 100) }

func signedPercent(_ fraction: Double) -> String { (fraction >= 0 ? "+" : "") + percent(fraction) }
