import Checkpoints
import Foundation

/// What `workbench inspect` prints about a checkpoint file: its format, then every key with dtype and shape, then
/// element counts - all of them, and the parameters alone (batch-norm running statistics and counters excluded,
/// as `sum(p.numel() for p in model.parameters())` counts them).
public struct CheckpointSummary {
    public let path: String
    public let format: CheckpointFormat
    public let stateDict: StateDict

    public init(path: String, options: CheckpointLoadOptions = .init()) throws {
        self.path = path
        format = try Checkpoint.detectFormat(path: path)
        stateDict = try Checkpoint.load(path: path, options: options)
    }

    /// Keys that hold buffers rather than parameters in torch.nn modules.
    static let bufferSuffixes = ["running_mean", "running_var", "num_batches_tracked"]

    public var elementCount: Int { stateDict.entries.reduce(0) { $0 + $1.tensor.elementCount } }

    public var parameterCount: Int {
        stateDict.entries.filter { entry in !Self.bufferSuffixes.contains { entry.key.hasSuffix($0) } }
            .reduce(0) { $0 + $1.tensor.elementCount }
    }

    public func text() -> String {
        let width = max(12, (stateDict.keys.map(\.count).max() ?? 0) + 2)
        var lines = [
            "\(path): \(format)", "key".padding(toLength: width, withPad: " ", startingAt: 0) + "dtype     shape",
        ]
        for entry in stateDict.entries {
            lines.append(
                entry.key.padding(toLength: width, withPad: " ", startingAt: 0)
                    + entry.tensor.dtype.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + "\(entry.tensor.shape)")
        }
        lines.append(
            "\(stateDict.count) tensors, \(elementCount) elements, \(parameterCount) parameters "
                + "(running statistics and counters excluded)")
        return lines.joined(separator: "\n")
    }
}
