import Foundation
import NN

/// The premise table: per setting, validation accuracy (mean, min, max over seeds) and macro precision / recall in
/// this engine, beside PyTorch's accuracy for the same setting and budget from Fixtures/data/premise_pytorch.json.
public struct TransferReport {
    public let runs: [TransferExperiment.Run]
    /// PyTorch's mean, min and max accuracy per setting (keys as the generator names them).
    public let pytorch: [String: (mean: Double, min: Double, max: Double)]

    /// Reads PyTorch's numbers for `budget` ("small") from `premisePath`; missing numbers show as "-".
    public init(runs: [TransferExperiment.Run], premisePath: String, budget: String = "small") {
        self.runs = runs
        var table: [String: (mean: Double, min: Double, max: Double)] = [:]
        if let data = FileManager.default.contents(atPath: premisePath),
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let budgets = json["budgets"] as? [String: Any], let chosen = budgets[budget] as? [String: Any],
            let settings = chosen["settings"] as? [String: Any]
        {
            for (name, value) in settings {
                guard let entry = value as? [String: Any], let mean = entry["mean"] as? Double,
                    let low = entry["min"] as? Double, let high = entry["max"] as? Double
                else { continue }
                table[name] = (mean, low, high)
            }
        }
        pytorch = table
    }

    /// Accuracy statistics of one setting in this engine.
    public func accuracy(_ setting: TransferSetting) -> (mean: Double, min: Double, max: Double)? {
        let values = runs.filter { $0.setting == setting }.map(\.metrics.accuracy)
        guard let low = values.min(), let high = values.max() else { return nil }
        return (values.reduce(0, +) / Double(values.count), low, high)
    }

    /// Whether every pretrained setting's worst run beats scratch's best run (the post's premise, strictly).
    public var premiseHolds: Bool {
        guard let scratch = accuracy(.scratch) else { return false }
        return TransferSetting.allCases.filter { $0 != .scratch }.allSatisfy { setting in
            accuracy(setting).map { $0.min > scratch.max } ?? true
        }
    }

    public func table() -> String {
        func f(_ value: Double) -> String { String(format: "%.3f", value) }
        var lines = [
            "setting                  swift acc mean [min, max]   precision  recall   pytorch acc mean [min, max]"
        ]
        for setting in TransferSetting.allCases {
            guard let acc = accuracy(setting) else { continue }
            let settingRuns = runs.filter { $0.setting == setting }
            let precision = settingRuns.map(\.metrics.macroPrecision).reduce(0, +) / Double(settingRuns.count)
            let recall = settingRuns.map(\.metrics.macroRecall).reduce(0, +) / Double(settingRuns.count)
            let reference =
                pytorch[setting.generatorName]
                .map { "\(f($0.mean)) [\(f($0.min)), \(f($0.max))]" } ?? "-"
            lines.append(
                setting.rawValue.padding(toLength: 25, withPad: " ", startingAt: 0)
                    + "\(f(acc.mean)) [\(f(acc.min)), \(f(acc.max))]".padding(toLength: 28, withPad: " ", startingAt: 0)
                    + f(precision).padding(toLength: 11, withPad: " ", startingAt: 0)
                    + f(recall).padding(toLength: 9, withPad: " ", startingAt: 0) + reference)
        }
        if accuracy(.scratch) != nil && runs.contains(where: { $0.setting != .scratch }) {
            lines.append(
                premiseHolds
                    ? "premise holds: every pretrained run beats the best run from scratch"
                    : "premise does NOT hold here: some pretrained run is no better than the best run from scratch")
        }
        return lines.joined(separator: "\n")
    }
}
