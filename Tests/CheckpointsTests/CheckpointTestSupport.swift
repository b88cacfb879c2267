import Checkpoints
import Foundation
import HDF5
import Testing

/// The folder of committed checkpoint fixtures: Tests/CheckpointsTests/ -> package root -> Fixtures/checkpoints.
let fixtureFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .appendingPathComponent("Fixtures/checkpoints")
    .path

/// The path of the committed fixture `name`.
func fixture(_ name: String) -> String {
    fixtureFolder + "/" + name
}

/// The bytes of the committed fixture `name`.
func fixtureBytes(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture(name))))
}

/// A fresh empty folder in the temporary directory, removed after `body`.
func withTemporaryFolder<Result>(_ body: (String) throws -> Result) throws -> Result {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("CheckpointsTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url.path)
}

/// What `Fixtures/tlref/checkpoints.py` recorded in `expected.h5` for one fixture: the state dict a correct reader
/// returns (values converted as `tensor.float()` / `tensor.long()`) and the load options it needs.
struct ExpectedCheckpoint {
    var file: String
    var stateDict: StateDict
    var options: CheckpointLoadOptions

    init(group name: String) throws {
        let group = try HDF5File(path: fixture("expected.h5")).root.group(name)
        let attributes = try group.attributes()
        func text(_ key: String) throws -> String {
            guard case let .string(value)? = attributes[key] else {
                throw FixtureError(message: "expected.h5 group \(name) lacks the string attribute \(key)")
            }
            return value
        }
        file = try text("file")
        let keys = try lines(text("keys"))
        let dtypes = try lines(text("dtypes")).map { CheckpointDType(rawValue: $0) }
        var entries: [StateDict.Entry] = []
        for (key, dtype) in zip(keys, dtypes) {
            let dtype = try #require(dtype)
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
        let versions = try lines(text("module_versions")).map { line -> StateDict.ModuleVersion in
            let parts = line.split(separator: "=", omittingEmptySubsequences: false)
            return StateDict.ModuleVersion(module: String(parts[0]), version: try #require(Int(parts[1])))
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

    /// The fixture groups in `expected.h5`.
    static func groupNames() throws -> [String] {
        try HDF5File(path: fixture("expected.h5")).root.groupNames()
    }
}

/// A fixture file that does not say what the tests expect.
struct FixtureError: Error {
    var message: String
}

private func lines(_ text: String) -> [String] {
    text.isEmpty ? [] : text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
}

/// Records an issue naming the first key, index and values where `actual` differs from `expected` (exact
/// comparison: every conversion in the readers is exact or matches torch's rounding).
func expectSameStateDict(
    _ actual: StateDict, _ expected: StateDict, _ context: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.keys == expected.keys, "\(context): keys", sourceLocation: sourceLocation)
    #expect(
        actual.moduleVersions == expected.moduleVersions, "\(context): module versions",
        sourceLocation: sourceLocation)
    for entry in expected.entries {
        guard let tensor = actual[entry.key] else { continue }
        let want = entry.tensor
        #expect(
            tensor.shape == want.shape && tensor.dtype == want.dtype,
            "\(context) '\(entry.key)': \(tensor.shape) \(tensor.dtype), expected \(want.shape) \(want.dtype)",
            sourceLocation: sourceLocation)
        if tensor.values != want.values {
            let index = firstDifference(tensor.values, want.values)
            let message =
                "\(context) '\(entry.key)': values differ first at index \(index): "
                + "\(element(tensor.values, index)) vs expected \(element(want.values, index))"
            Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
        }
    }
}

private func firstDifference(_ left: CheckpointTensor.Values, _ right: CheckpointTensor.Values) -> Int {
    switch (left, right) {
    case let (.float(a), .float(b)):
        return a.indices.first { $0 >= b.count || a[$0].bitPattern != b[$0].bitPattern } ?? a.count
    case let (.integer(a), .integer(b)):
        return a.indices.first { $0 >= b.count || a[$0] != b[$0] } ?? a.count
    default: return 0
    }
}

private func element(_ values: CheckpointTensor.Values, _ index: Int) -> String {
    switch values {
    case let .float(items): return index < items.count ? "\(items[index])" : "<none>"
    case let .integer(items): return index < items.count ? "\(items[index])" : "<none>"
    }
}

/// The error `body` throws, which must be a `CheckpointError`.
func checkpointError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> CheckpointError? {
    do {
        try body()
        Issue.record("expected a CheckpointError, but the call succeeded", sourceLocation: sourceLocation)
    } catch let error as CheckpointError {
        return error
    } catch {
        Issue.record("expected a CheckpointError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

extension CheckpointError {
    /// The case name ("forbiddenGlobal", "truncated" ...), for assertions and summaries.
    var caseName: String {
        Mirror(reflecting: self).children.first?.label ?? "\(self)"
    }
}

/// SplitMix64 (Steele, Lea and Flood 2014): a tiny deterministic generator for the mutation fuzz.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `0 ..< bound` (bound > 0).
    mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }
}
