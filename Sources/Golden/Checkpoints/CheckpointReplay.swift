import Checkpoints
import Foundation
import HDF5

/// What `Fixtures/tlref/checkpoints.py` recorded in `Fixtures/checkpoints/expected.h5` for one fixture written by
/// `torch.save` (zip, legacy, repacked, ZIP64, big-endian) or in the safetensors format: the state dict a correct
/// reader returns (values converted as `tensor.float()` / `tensor.long()`) and the load options it needs.
public struct ExpectedCheckpoint {
    /// The default folder, relative to the package root.
    public static let defaultRelativePath = "Fixtures/checkpoints"

    public var file: String
    public var stateDict: StateDict
    public var options: CheckpointLoadOptions

    /// Group `name` of `folder/expected.h5`.
    public init(folder: String, group name: String) throws {
        let referencePath = folder + "/expected.h5"
        let root = try HDF5File(path: referencePath).root
        guard root.contains(name) else {
            throw CheckpointReferenceError(path: referencePath, detail: "no group '\(name)'")
        }
        let group = try root.group(name)
        let attributes = try group.attributes()
        func fail(_ detail: String) -> CheckpointReferenceError {
            CheckpointReferenceError(path: referencePath, detail: "group \(name): \(detail)")
        }
        func text(_ key: String) throws -> String {
            guard case let .string(value)? = attributes[key] else { throw fail("lacks the string attribute \(key)") }
            return value
        }
        file = try text("file")
        let keys = Self.lines(try text("keys"))
        let dtypeNames = Self.lines(try text("dtypes"))
        guard keys.count == dtypeNames.count else {
            throw fail("\(keys.count) keys but \(dtypeNames.count) dtypes")
        }
        var entries: [StateDict.Entry] = []
        for (key, dtypeName) in zip(keys, dtypeNames) {
            guard let dtype = CheckpointDType(rawValue: dtypeName) else { throw fail("unknown dtype '\(dtypeName)'") }
            let tensor: CheckpointTensor
            if dtype.isFloatingPoint {
                let array = try group.read(key, as: Float.self)
                tensor = CheckpointTensor(shape: array.shape, floats: array.values, dtype: dtype)
            } else {
                let array = try group.read(key, as: Int64.self)
                tensor = CheckpointTensor(shape: array.shape, integers: array.values, dtype: dtype)
            }
            entries.append(StateDict.Entry(key: key, tensor: tensor))
        }
        let versions = try Self.lines(try text("module_versions")).map { line -> StateDict.ModuleVersion in
            let parts = line.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2, let version = Int(parts[1]) else { throw fail("module version '\(line)'") }
            return StateDict.ModuleVersion(module: String(parts[0]), version: version)
        }
        stateDict = StateDict(entries, moduleVersions: versions)
        options = CheckpointLoadOptions()
        let option = try text("options")
        if option == "unwrap" {
            options.unwrap = true
        } else if option.hasPrefix("unwrap_key=") {
            options.unwrapKey = String(option.dropFirst("unwrap_key=".count))
        } else if option.hasPrefix("strip_prefix=") {
            options.stripPrefix = String(option.dropFirst("strip_prefix=".count))
        }
    }

    /// The fixture groups of `folder/expected.h5`.
    public static func groupNames(folder: String) throws -> [String] {
        try HDF5File(path: folder + "/expected.h5").root.groupNames()
    }

    private static func lines(_ text: String) -> [String] {
        text.isEmpty ? [] : text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }
}

/// Replays the checkpoint references: every fixture loaded from its file and decoded from memory, compared exactly
/// with the state dict PyTorch recorded (every conversion in the readers is exact or matches torch's rounding).
public enum CheckpointReplay {
    /// Loads fixture `group` of `folder` from disk and from memory and compares both with the recorded state dict.
    public static func run(folder: String, group: String) throws -> ReplayResult {
        let expected = try ExpectedCheckpoint(folder: folder, group: group)
        let path = folder + "/" + expected.file
        var result = compare(
            try Checkpoint.load(path: path, options: expected.options), expected.stateDict, expected.file)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointReferenceError(path: path, detail: "cannot be read")
        }
        let bytes = [UInt8](data)
        result.merge(
            compare(
                try Checkpoint.decode(bytes, name: expected.file, options: expected.options), expected.stateDict,
                "\(expected.file) decoded from memory"))
        return result
    }

    /// Exact comparison of two state dicts: keys, module versions, and per key dtype, shape and every value's bits;
    /// a mismatch names the key, the first differing index and both values.
    public static func compare(_ actual: StateDict, _ expected: StateDict, _ context: String) -> ReplayResult {
        var result = ReplayResult()
        result.expectEqual(actual.keys, expected.keys, "\(context): keys")
        result.expectEqual(actual.moduleVersions, expected.moduleVersions, "\(context): module versions")
        for entry in expected.entries {
            guard let tensor = actual[entry.key] else { continue }
            let want = entry.tensor
            result.check(
                tensor.shape == want.shape && tensor.dtype == want.dtype,
                "\(context) '\(entry.key)': \(tensor.shape) \(tensor.dtype), expected \(want.shape) \(want.dtype)")
            let index = firstDifference(tensor.values, want.values)
            result.check(
                index == nil,
                "\(context) '\(entry.key)': values differ first at index \(index ?? 0): "
                    + "\(element(tensor.values, index ?? 0)) vs expected \(element(want.values, index ?? 0))")
        }
        return result
    }

    private static func firstDifference(_ left: CheckpointTensor.Values, _ right: CheckpointTensor.Values) -> Int? {
        switch (left, right) {
        case let (.float(a), .float(b)):
            if let index = a.indices.first(where: { $0 >= b.count || a[$0].bitPattern != b[$0].bitPattern }) {
                return index
            }
            return a.count == b.count ? nil : a.count
        case let (.integer(a), .integer(b)):
            if let index = a.indices.first(where: { $0 >= b.count || a[$0] != b[$0] }) { return index }
            return a.count == b.count ? nil : a.count
        default: return 0
        }
    }

    private static func element(_ values: CheckpointTensor.Values, _ index: Int) -> String {
        switch values {
        case let .float(items): return index < items.count ? "\(items[index])" : "<none>"
        case let .integer(items): return index < items.count ? "\(items[index])" : "<none>"
        }
    }
}

/// A checkpoint reference file that does not say what the replay needs.
public struct CheckpointReferenceError: Error, CustomStringConvertible {
    public let path: String
    public let detail: String
    public var description: String { "\(path): \(detail)" }
}
